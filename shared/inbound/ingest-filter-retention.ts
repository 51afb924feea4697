import { nowMs } from '../clock';
import { tenantsOfDay } from '../events/event-days';
import { indexPartition, tables } from '../events/event-store';
import { errorFields, logger } from '../observability/logger';
import { tenantPartition, timeBucket, timeBucketsBetween } from '../storage/keys';
import { purgeEvent, RETENTION_LIMIT_PER_RUN } from './retention';

/**
 * Filtered events are kept briefly (docs/pipeline.md, "Ingest filters"): long enough to see what a
 * filter dropped and replay a mistake, not for the whole EVENT_RETENTION_DAYS — a noisy source can
 * send far more filtered events than processed ones. Runs with the hourly retention timer, after
 * it. Found through `eventdays` and each day's `status=filtered` index partition, never by a scan;
 * each candidate is re-checked on its row (an index row left by a crash never purges an event that
 * is not filtered). Purged the way retention purges (children first, the event row last).
 */
export const FILTERED_EVENT_RETENTION_DAYS = 7;
const DAY_MS = 86_400_000;

export interface FilteredRetentionResult {
  events: number;
  /** The run stopped at its limit; more is due. */
  more: boolean;
}

export async function purgeFilteredEvents(options: {
  /** Days a filtered event is kept (whole days, as retention counts them). */
  keepDays?: number;
  /** The general retention: older days are the general purge's, not looked at here. */
  retentionDays: number;
  limit?: number;
}): Promise<FilteredRetentionResult> {
  const keepDays = options.keepDays ?? FILTERED_EVENT_RETENTION_DAYS;
  const limit = options.limit ?? RETENTION_LIMIT_PER_RUN;
  const result: FilteredRetentionResult = { events: 0, more: false };
  if (keepDays >= options.retentionDays) return result;
  const cutoffDay = timeBucket(nowMs() - keepDays * DAY_MS, 'day');
  const days = timeBucketsBetween(nowMs() - options.retentionDays * DAY_MS, nowMs() - keepDays * DAY_MS, 'day').filter(
    (d) => d < cutoffDay,
  );
  const t = tables();
  for (const day of days) {
    for await (const tenantId of tenantsOfDay(day)) {
      try {
        for await (const hit of t.index.iterate(indexPartition(tenantId, 'status', 'filtered', day))) {
          if (result.events >= limit) {
            result.more = true;
            return result;
          }
          const row = await t.events.get(tenantPartition(tenantId, day), hit.rowKey);
          if (!row) {
            await t.index.delete(indexPartition(tenantId, 'status', 'filtered', day), hit.rowKey);
            continue;
          }
          if (row.value.status !== 'filtered') continue;
          await purgeEvent(tenantId, day, hit.rowKey, row.value);
          result.events++;
        }
      } catch (error) {
        // One tenant-day failing must not stop the others; the next run tries it again.
        logger.warn('filtered-event retention could not purge a tenant-day', { tenantId, day, ...errorFields(error) });
      }
    }
  }
  return result;
}
