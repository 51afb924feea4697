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
  /** Closed days summed into one row each (below); without it every read sums the day partitions. */
  rollups?: TableRepository<DayRollupRow>;
}

export function counterTables(account: StorageAccount): CounterTables {
  return {
    daily: new TableRepository(account, 'counters', counterRowSchema),
    hourly: new TableRepository(account, 'counterhours', counterRowSchema),
    rollups: dayRollupsTable(account),
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

/** Properties a day rollup spreads its failure list over (each under the 32K-character string limit). */
export const ROLLUP_PARTS = 15;
export const ROLLUP_PART_CHARS = 30_000;

/**
 * `counterrollups`: one row per tenant and closed UTC day, PartitionKey = `tenant|days`, RowKey =
 * `YYYYMMDD`. It holds what the dashboard reads of that day's `counters` partition, shards summed:
 * `types` = JSON `{type: [succeeded, failed]}`, and the failed counts per type × integration × code
 * as a JSON list `[[type, integration, code, count], …]` cut into `f0`…`f14`. Written once, by the
 * first dashboard that reads the day after it closed (shared/analytics/rollups.ts); a period is then
 * one range read of this partition instead of a partition per day that grows with variety.
 */
export const dayRollupRowSchema = z.object({
  types: z.string(),
  parts: z.number().int().min(0).max(ROLLUP_PARTS),
  ...Object.fromEntries(Array.from({ length: ROLLUP_PARTS }, (_, i) => [`f${i}`, z.string().optional()])),
}) as z.ZodType<DayRollupRow>;
export interface DayRollupRow extends Record<string, unknown> {
  types: string;
  parts: number;
  [part: `f${number}`]: string | undefined;
}

export function dayRollupsTable(account: StorageAccount): TableRepository<DayRollupRow> {
  return new TableRepository(account, 'counterrollups', dayRollupRowSchema);
}
