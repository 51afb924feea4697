import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import {
  newestFirstIdTime,
  splitTenantPartition,
  tenantPartition,
  timeBucket,
  timeBucketsBetween,
} from '../storage/keys';
import type { TableRepository } from '../storage/table-repository';
import { readDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import {
  attemptLogPrefix,
  attemptsPartition,
  DELIVERY_KEYS_FROM,
  DELIVERY_STATUSES,
  dayOf,
  dayPartition,
  deliveryKeyRowKey,
  HOUSEKEEPING_SHARDS,
  indexPartition,
  type RetentionRow,
  retentionPartition,
  retentionRowKey,
  tenantDayPartition,
} from './tables';

/**
 * Tenant-days this instance has written its `deliverydays` row for, per table: publish writes the
 * row once per instance, tenant and day instead of a transaction per event. Only today's and
 * yesterday's keys are worth keeping; the set is emptied when it grows past a day's tenants.
 */
const noted = new WeakMap<TableRepository<RetentionRow>, Map<string, Promise<void>>>();
const MAX_NOTED = 10_000;

/**
 * The tenant's row for `day`, written before the day's delivery rows (a crash leaves it, harmless).
 * Callers that meet a tenant's new day at the same moment share one write; a failed write is
 * forgotten, so the next caller writes again (and this one throws: its rows must wait for it).
 */
export async function noteTenantDay(deps: OutboundDeps, tenantId: string, day: string): Promise<void> {
  const seen = noted.get(deps.tables.days) ?? new Map<string, Promise<void>>();
  noted.set(deps.tables.days, seen);
  const key = `${tenantId}\n${day}`;
  const known = seen.get(key);
  if (known) return known;
  if (seen.size >= MAX_NOTED) seen.clear();
  const write = deps.tables.days
    .upsert(tenantDayPartition(tenantId, day), retentionRowKey(tenantId, 't', day), {
      at: new Date(nowMs()).toISOString(),
    })
    .then(() => undefined);
  seen.set(key, write);
  write.catch(() => seen.delete(key));
  return write;
}

/**
 * A tenant's whole day: each delivery as purgeDelivery does (an older one's rows elsewhere too),
 * the rows left in the partition (index and attempt rows of deliveries already gone), the day's
 * events. Returns false when it stopped at the limit (the tenant-day row stays for the next run).
 */
async function purgeTenantDay(
  deps: OutboundDeps,
  tenantId: string,
  day: string,
  result: RetentionResult,
  limit: number,
): Promise<boolean> {
  const pk = tenantPartition(tenantId, day);
  for await (const row of deps.tables.deliveryRows.iterate(pk)) {
    if (result.deliveries + result.events >= limit) return false;
    if (!row.rowKey.startsWith(DELIVERY_KEYS_FROM)) {
      // Its index and attempt rows sort after every delivery in this partition: the walk reaches them.
      if ((row.value as { keys?: unknown }).keys === 'row') await deps.tables.deliveryRows.delete(pk, row.rowKey);
      else await purgeDelivery(deps, tenantId, row.rowKey);
      result.deliveries++;
    } else {
      await deps.tables.deliveryRows.delete(pk, row.rowKey);
    }
  }
  for await (const row of deps.tables.events.iterate(pk)) {
    if (result.deliveries + result.events >= limit) return false;
    await deps.tables.events.delete(pk, row.rowKey);
    result.events++;
  }
  return true;
}

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
        if (kind === 't' && id) {
          // Whole days only: the tenant's day goes once all of it is past the cutoff.
          if (timeBucket(cutoff, 'day') <= id) continue;
          if (result.deliveries + result.events >= limit) {
            result.more = true;
            return result;
          }
          try {
            if (!(await purgeTenantDay(deps, tenantId, id, result, limit))) {
              result.more = true;
              return result;
            }
            await deps.tables.days.delete(partition, row.rowKey);
          } catch (error) {
            logger.warn('retention could not purge a tenant day', { tenantId, day: id, ...errorFields(error) });
          }
          continue;
        }
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
