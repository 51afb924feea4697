import { z } from 'zod';
import { STAGES } from '../events/contract';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `failures` (Failure Analysis): PartitionKey = `tenant|YYYYMMDD`, RowKey = a newest-first id — the
 * event id for a failed event (its day from the id, so writing it again on a redelivered dead
 * letter lands on the same row), a fresh id for a rejected webhook (docs/design.md §6.9). A time range is a walk
 * over day partitions; an event's failure is one point read.
 */
export const failureRecordSchema = z.object({
  kind: z.enum(['event', 'rejection']),
  eventId: z.string().nullable(),
  webhookId: z.string().nullable(),
  source: z.string().nullable(),
  stage: z.enum(STAGES),
  errorType: z.string(),
  message: z.string(),
  suggestedFix: z.string(),
  /** JSON object: vendor, tool, agentRunId, closestSopId, closestSopScore, vendorStatus, correlationId … */
  metadata: z.string(),
  at: z.string(),
  /** Rejections only: size and SHA-256 of the refused body (never the body). */
  bodyBytes: z.number().int().nonnegative().optional(),
  bodySha256: z.string().optional(),
});
export type FailureRecord = z.infer<typeof failureRecordSchema>;

export function failuresTable(account: StorageAccount): TableRepository<FailureRecord> {
  return new TableRepository(account, 'failures', failureRecordSchema);
}
