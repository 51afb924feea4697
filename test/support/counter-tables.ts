import { type CounterTables, counterRowSchema, counterSummaryRowSchema } from '../../shared/analytics/tables';
import type { StorageAccount } from '../../shared/storage/connection';
import { TableRepository } from '../../shared/storage/table-repository';

let seq = 0;

/** Counter tables of their own (fresh names on `account`), so a test counts only what it wrote. */
export function freshCounterTables(account: StorageAccount): CounterTables {
  const name = (tag: string) => `cnt${tag}${process.pid}${Date.now().toString(36)}${seq++}`;
  return {
    daily: new TableRepository(account, name('d'), counterRowSchema),
    hourly: new TableRepository(account, name('h'), counterRowSchema),
    summaries: new TableRepository(account, name('s'), counterSummaryRowSchema),
  };
}
