import { z } from 'zod';
import { CONNECTION_STATES } from '../integrations/states';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `probestatus`: PartitionKey = tenant id, RowKey = integration id — the latest state of each
 * integration, one partition read for the status page.
 * `probes`: PartitionKey = `tenant|integration`, RowKey = inverted time — the rolling 24 h history,
 * newest first, so `?hours=N` is one RowKey range.
 */
const settledState = z.enum(['connected', 'disconnected', 'needs_attention', 'unknown']);

export const probeStatusSchema = z.object({
  vendor: z.string(),
  state: z.enum(CONNECTION_STATES),
  /** The last settled state (what `checking` replaced), for transitions and the status page. */
  settledState,
  checkingSince: z.string().optional(),
  /** The probe run that holds `checking` (timer tick or recheck id) and its attempt. */
  runId: z.string().optional(),
  attempt: z.number().int().nonnegative().optional(),
  retryAt: z.string().optional(),
  lastCheckAt: z.string().optional(),
  lastSuccessAt: z.string().optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  vendorStatus: z.number().int().optional(),
  vendorMessage: z.string().optional(),
  hint: z.string().optional(),
  reason: z.string().optional(),
  /** JSON: QuotaReading. */
  quota: z.string().optional(),
  /** JSON: ExpiryWarning[]. */
  expiries: z.string().optional(),
  /** JSON: ISO times of state changes in the last hour (flapping = three or more). */
  transitions: z.string().default('[]'),
  nextCheckAt: z.string().optional(),
});
export type ProbeStatusRow = z.infer<typeof probeStatusSchema>;

export const probeHistorySchema = z.object({
  at: z.string(),
  state: settledState,
  latencyMs: z.number().int().nonnegative(),
  attempts: z.number().int().positive(),
  vendorStatus: z.number().int().optional(),
  reason: z.string(),
  vendorMessage: z.string().optional(),
  trigger: z.string(),
});
export type ProbeHistoryRow = z.infer<typeof probeHistorySchema>;

export interface ProbeTables {
  status: TableRepository<ProbeStatusRow>;
  history: TableRepository<ProbeHistoryRow>;
}

export function probeTables(account: StorageAccount): ProbeTables {
  return {
    status: new TableRepository(account, 'probestatus', probeStatusSchema),
    history: new TableRepository(account, 'probes', probeHistorySchema),
  };
}
