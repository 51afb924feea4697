import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `toolwrites`, the vendor-write ledger (docs/design.md §6.6): PartitionKey = `tenant|eventId`, RowKey =
 * the tool-call step. A write is claimed `pending` before the vendor is called and settled after;
 * a `pending` row found by a later delivery means the process died mid-call, so the write is not
 * sent again.
 */
export const ledgerRecordSchema = z.object({
  tool: z.string(),
  vendor: z.string(),
  integrationId: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  /** Which attempt of the step claimed the row last. */
  attempt: z.number().int().nonnegative(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  summary: z.string().optional(),
  /** ToolResult.output JSON, so a redelivery after success re-uses it instead of writing again. */
  output: z.string().optional(),
  error: z.string().optional(),
});
export type LedgerRecord = z.infer<typeof ledgerRecordSchema>;

export interface ToolTables {
  ledger: TableRepository<LedgerRecord>;
}

export function toolTables(account: StorageAccount): ToolTables {
  return { ledger: new TableRepository(account, 'toolwrites', ledgerRecordSchema) };
}
