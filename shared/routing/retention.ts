import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import { newestFirstTimePrefix, timeBucket, timeBucketsBetween } from '../storage/keys';
import type { RoutingDeps } from './config';

/**
 * Routing errors age out like the inbound failures they sit beside (docs/routing.md, "Storage"):
 * once their whole UTC day is older than the retention (EVENT_RETENTION_DAYS), an hourly timer
 * deletes them. `routingerrordays` names the tenants of each day, so the purge reads only the days
 * and tenants that have errors, never the whole table; within a tenant, errors are newest first,
 * so "older than the cutoff" is one RowKey range.
 */

/** NCRONTAB, seconds first: hourly at minute 47 (off the other housekeeping timers' minutes). */
export const ROUTING_RETENTION_SCHEDULE = '0 47 * * * *';
/** Rows deleted per run at most; the next run goes on where this one stopped. */
export const ROUTING_RETENTION_LIMIT_PER_RUN = 1_000;
/** Days before the cutoff a run still looks at: a purge stopped for longer leaves older rows. */
const LOOKBACK_DAYS = 92;
const DAY_MS = 86_400_000;

export interface RoutingRetentionResult {
  errors: number;
  /** Tenant-days emptied and forgotten. */
  days: number;
  /** The run stopped at its limit; more is due. */
  more: boolean;
}

export async function purgeExpiredRoutingErrors(
  deps: RoutingDeps,
  options: { retentionDays: number; limit?: number },
): Promise<RoutingRetentionResult> {
  const limit = options.limit ?? ROUTING_RETENTION_LIMIT_PER_RUN;
  const now = nowMs();
  // Whole days, as inbound retention counts them: a day goes once all of it is past the cutoff.
  const cutoffMs = Math.floor((now - options.retentionDays * DAY_MS) / DAY_MS) * DAY_MS;
  const cutoffDay = timeBucket(cutoffMs, 'day');
  // Every id minted before the cutoff day starts with this prefix or a later-sorting one.
  const olderFrom = newestFirstTimePrefix(cutoffMs - 1);
  const from = now - (options.retentionDays + LOOKBACK_DAYS) * DAY_MS;
  const days = timeBucketsBetween(from, now - options.retentionDays * DAY_MS, 'day').filter((d) => d < cutoffDay);
  const result: RoutingRetentionResult = { errors: 0, days: 0, more: false };
  for (const day of days) {
    for await (const mark of deps.tables.errorDays.iterate(day)) {
      const { tenantId } = mark.value;
      try {
        for await (const row of deps.tables.errors.iterate(tenantId, { rowKeyFrom: olderFrom })) {
          if (result.errors >= limit) {
            result.more = true;
            return result;
          }
          await deps.tables.errors.delete(tenantId, row.rowKey);
          result.errors++;
        }
        await deps.tables.errorDays.delete(day, mark.rowKey);
        result.days++;
      } catch (error) {
        // One tenant failing must not stop the others; its day row stays for the next run.
        logger.warn('routing retention could not purge a tenant-day', { tenantId, day, ...errorFields(error) });
      }
    }
  }
  return result;
}
