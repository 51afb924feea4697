import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import { newestFirstIdTime, splitTenantPartition, timeBucketsBetween } from '../storage/keys';
import { readDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import {
  attemptLogPrefix,
  attemptsPartition,
  DELIVERY_STATUSES,
  dayOf,
  dayPartition,
  deliveryKeyRowKey,
  HOUSEKEEPING_SHARDS,
  indexPartition,
  retentionPartition,
} from './tables';

/**
 * Retention (docs/design.md §12): deliveries, their attempts and index rows, and events older than the
 * retention period are deleted by a timer, a bounded number per run, oldest first. What to delete
 * is found through `deliverydays` (one row per delivery and event, by day), never by scanning.
 * Each delivery goes children first — attempts, index rows, the delivery, its `deliverydays` row
 * last — so a run cut short is finished by the next one.
 */
export const RETENTION_LIMIT_PER_RUN = 1_000;
/** NCRONTAB, seconds first: hourly, at minute 23 (off the hour, when other timers fire). */
export const RETENTION_SCHEDULE = '0 23 * * * *';

/** Days before the cutoff a run still looks at: a purge timer stopped for longer leaves older rows. */
export const RETENTION_LOOKBACK_DAYS = 92;
const DAY_MS = 86_400_000;

export interface RetentionResult {
  deliveries: number;
  events: number;
  /** The run stopped at its limit; more may be due. */
  more: boolean;
}

async function purgeDelivery(deps: OutboundDeps, tenantId: string, id: string): Promise<void> {
  const day = dayOf(id);
  const attempts = attemptsPartition(tenantId, id);
  for await (const row of deps.tables.attempts.iterate(attempts))
    await deps.tables.attempts.delete(attempts, row.rowKey);
  const delivery = await readDelivery(deps, tenantId, id);
  if (delivery?.value.keys === 'row') {
    const { subscriptionId, eventType } = delivery.value;
    const pk = dayPartition(tenantId, id);
    for await (const row of deps.tables.deliveryLog.iterate(pk, { rowKeyPrefix: attemptLogPrefix(id) }))
      await deps.tables.deliveryLog.delete(pk, row.rowKey);
    // Index rows first, the delivery last (a run cut short finds the delivery again). Every status:
    // absent ones cost a 404 each, which is cheaper than reading which one is there.
    await Promise.all([
      deps.tables.deliveryRows.delete(pk, deliveryKeyRowKey('sub', subscriptionId, id)),
      deps.tables.deliveryRows.delete(pk, deliveryKeyRowKey('type', eventType, id)),
      ...DELIVERY_STATUSES.map((status) =>
        deps.tables.deliveryRows.delete(pk, deliveryKeyRowKey('status', status, id)),
      ),
    ]);
    await deps.tables.deliveries.delete(pk, id);
  } else if (delivery) {
    const { subscriptionId, eventType } = delivery.value;
    // Every status: a crash during a status change can leave a row under an earlier one.
    await Promise.all([
      deps.tables.index.delete(indexPartition(tenantId, 'sub', subscriptionId, day), id),
      deps.tables.index.delete(indexPartition(tenantId, 'type', eventType, day), id),
      ...DELIVERY_STATUSES.map((status) =>
        deps.tables.index.delete(indexPartition(tenantId, 'status', status, day), id),
      ),
    ]);
    await deps.tables.deliveries.delete(dayPartition(tenantId, id), id);
  }
}

export async function purgeExpiredDeliveries(
  deps: OutboundDeps,
  options: { retentionDays: number; limit?: number },
): Promise<RetentionResult> {
  const cutoff = nowMs() - options.retentionDays * DAY_MS;
  const limit = options.limit ?? RETENTION_LIMIT_PER_RUN;
  const result: RetentionResult = { deliveries: 0, events: 0, more: false };
  // Oldest first, so a bounded run always makes progress on what is most overdue.
  const days = timeBucketsBetween(cutoff - RETENTION_LOOKBACK_DAYS * DAY_MS, cutoff, 'day').reverse();
  for (const day of days) {
    for (let shard = 0; shard < HOUSEKEEPING_SHARDS; shard++) {
      const partition = retentionPartition(day, shard);
      for await (const row of deps.tables.days.iterate(partition)) {
        const { tenantId, parts } = splitTenantPartition(row.rowKey);
        const [kind, id] = parts;
        if (!id || (kind !== 'd' && kind !== 'e')) continue;
        // The cutoff's own day holds rows on both sides of it.
        if (newestFirstIdTime(id) >= cutoff) continue;
        if (result.deliveries + result.events >= limit) {
          result.more = true;
          return result;
        }
        try {
          if (kind === 'd') {
            await purgeDelivery(deps, tenantId, id);
            result.deliveries++;
          } else {
            await deps.tables.events.delete(dayPartition(tenantId, id), id);
            result.events++;
          }
          await deps.tables.days.delete(partition, row.rowKey);
        } catch (error) {
          logger.warn('retention could not purge a row', { tenantId, id, kind, ...errorFields(error) });
        }
      }
    }
  }
  return result;
}
