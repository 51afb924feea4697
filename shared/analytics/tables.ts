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
  /** What the dashboard reads: per tenant-day-shard totals, written with every transaction (below). */
  summaries: TableRepository<CounterSummaryRow>;
}

export function counterTables(account: StorageAccount): CounterTables {
  return {
    daily: new TableRepository(account, 'counters', counterRowSchema),
    hourly: new TableRepository(account, 'counterhours', counterRowSchema),
    summaries: counterSummariesTable(account),
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
  /**
   * JSON `{YYYYMMDD: failures}` for the last GROUP_DAYS days (older days drop out on the next
   * failure), so the failures table reads a group's total for the period from this row alone.
   * Absent on groups written before it existed (then their total counts from the next failure on).
   */
  days: z.string().optional(),
});
export type FailureGroupRow = z.infer<typeof failureGroupRowSchema>;

export function failureGroupsTable(account: StorageAccount): TableRepository<FailureGroupRow> {
  return new TableRepository(account, 'failuregroups', failureGroupRowSchema);
}

/**
 * `countersummaries`: one row per tenant × UTC day × writer shard, PartitionKey = `tenant|days`,
 * RowKey = `YYYYMMDD|shard` (shared/analytics/summaries.ts). `types` = JSON `{type: [succeeded,
 * failed]}`, `codes` = JSON `{code: {type: failed}}` with at most MAX_CODES codes by name. Its size
 * and the number of rows per day are bounded whatever the volume, so a dashboard period is one
 * range read of days × shards small rows.
 */
export const counterSummaryRowSchema = z.object({
  types: z.string(),
  codes: z.string(),
  /** JSON `[held, throttled, inboundHeld]` (summaries.ts `Controls`); absent until the day counts one. */
  controls: z.string().optional(),
});
export type CounterSummaryRow = z.infer<typeof counterSummaryRowSchema>;

export function counterSummariesTable(account: StorageAccount): TableRepository<CounterSummaryRow> {
  return new TableRepository(account, 'countersummaries', counterSummaryRowSchema);
}
