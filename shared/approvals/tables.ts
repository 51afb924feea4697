import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `approvals`: PartitionKey = tenant id, RowKey = approval id = `apr-<eventId>-<stepIndex>` (one
 * per step of one event, so asking twice is the same row; event ids are newest-first, so the list
 * is too). Decisions are ETag-conditional: of two racing admins exactly one decides.
 */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const approvalRecordSchema = z.object({
  eventId: z.string(),
  agentRunId: z.string(),
  stepIndex: z.number().int().nonnegative(),
  sopId: z.string(),
  tool: z.string(),
  vendor: z.string(),
  /** The rendered arguments as JSON: what exactly the approver lets run. */
  args: z.string(),
  /** Why approval is needed: the SOP step asks for it, or the tool always does. */
  reason: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  createdAt: z.string(),
  expiresAt: z.string(),
  decidedAt: z.string().optional(),
  decidedBy: z.string().optional(),
  comment: z.string().optional(),
});
export type ApprovalRecord = z.infer<typeof approvalRecordSchema>;

export interface ApprovalTables {
  approvals: TableRepository<ApprovalRecord>;
}

export function approvalTables(account: StorageAccount): ApprovalTables {
  return { approvals: new TableRepository(account, 'approvals', approvalRecordSchema) };
}
