import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `agentruns`: PartitionKey = tenant id, RowKey = run id = `run-<eventId>` (one run per event, so
 * dispatch is idempotent by construction, and event ids being newest-first, so are runs).
 * `steps` is the SOP's steps as they were at dispatch (editing a SOP never changes a run in
 * flight); `progress` holds one small entry per step.
 */
export const RUN_STATUSES = ['running', 'awaiting_approval', 'succeeded', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const STEP_STATUSES = [
  'pending',
  'skipped',
  'awaiting_approval',
  'approved',
  'succeeded',
  'failed',
  'rejected',
  'expired',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const stepProgressSchema = z.object({
  status: z.enum(STEP_STATUSES),
  approvalId: z.string().optional(),
  integrationId: z.string().optional(),
  summary: z.string().optional(),
  error: z.string().optional(),
  output: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  at: z.string().optional(),
});
export type StepProgress = z.infer<typeof stepProgressSchema>;

export const agentRunRecordSchema = z.object({
  eventId: z.string(),
  sopId: z.string(),
  sopName: z.string(),
  sopVersion: z.number().int(),
  status: z.enum(RUN_STATUSES),
  /** SopStep[] JSON, snapshotted at dispatch. */
  steps: z.string(),
  /** StepProgress[] JSON, one per step. */
  progress: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AgentRunRecord = z.infer<typeof agentRunRecordSchema>;

export interface AgentTables {
  runs: TableRepository<AgentRunRecord>;
}

export function agentTables(account: StorageAccount): AgentTables {
  return { runs: new TableRepository(account, 'agentruns', agentRunRecordSchema) };
}
