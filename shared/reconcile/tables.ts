import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `reconcileruns`: PartitionKey = tenant id, RowKey = integration id — the last weekly reconcile of
 * each integration (docs/reconcile.md), one partition read for the status page. Overwritten by
 * each run; the diff itself is always read fresh from the vendor on request.
 */
export const reconcileRunSchema = z.object({
  checkedAt: z.string(),
  oursOk: z.number().int().nonnegative(),
  missingAtVendor: z.number().int().nonnegative(),
  drifted: z.number().int().nonnegative(),
  unknownToUs: z.number().int().nonnegative(),
  /** Set when the vendor could not be read; the counts are then those of the last good run. */
  error: z.string().optional(),
});
export type ReconcileRunRow = z.infer<typeof reconcileRunSchema>;

export interface ReconcileTables {
  runs: TableRepository<ReconcileRunRow>;
}

let cached: { account: StorageAccount; tables: ReconcileTables } | undefined;

export function reconcileTables(account: StorageAccount): ReconcileTables {
  if (cached?.account === account) return cached.tables;
  const tables: ReconcileTables = { runs: new TableRepository(account, 'reconcileruns', reconcileRunSchema) };
  cached = { account, tables };
  return tables;
}
