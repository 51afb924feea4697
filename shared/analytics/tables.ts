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

/**
 * `failuregroups`: one row per tenant × integration type × integration × failure code, the
 * "Failures in Integrations" table of the dashboard (docs/dashboard.md). PartitionKey = tenant,
 * RowKey = `type|integration|code`. Its size grows with the distinct failures of a tenant, never
 * with how often they happen: counts live in the counters, this row holds what describes the group
 * (the newest description, where it happened, a few examples and when it was last seen).
 */
export const failureGroupRowSchema = z.object({
  integrationName: z.string().optional(),
  description: z.string(),
  /** JSON arrays, newest first and capped (Table Storage has no array type). */
  services: z.string(),
  flows: z.string(),
  examples: z.string(),
  firstSeen: z.string(),
  lastSeen: z.string(),
});
export type FailureGroupRow = z.infer<typeof failureGroupRowSchema>;

export function failureGroupsTable(account: StorageAccount): TableRepository<FailureGroupRow> {
  return new TableRepository(account, 'failuregroups', failureGroupRowSchema);
}
