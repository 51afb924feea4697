import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `counters` (per day) and `counterhours` (per hour, kept for the last 48 h by the dashboards):
 * PartitionKey = `tenant|bucket`, RowKey = `type|integration|outcome|code|shard`. One partition
 * holds one tenant's day (or hour), so a dashboard tile is one partition read, never an events scan.
 */
export const counterRowSchema = z.object({ count: z.number().int().nonnegative() });
export type CounterRow = z.infer<typeof counterRowSchema>;

export interface CounterTables {
  daily: TableRepository<CounterRow>;
  hourly: TableRepository<CounterRow>;
}

export function counterTables(account: StorageAccount): CounterTables {
  return {
    daily: new TableRepository(account, 'counters', counterRowSchema),
    hourly: new TableRepository(account, 'counterhours', counterRowSchema),
  };
}
