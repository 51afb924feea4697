import { nowMs } from '../clock';
import { EVENT_STATUSES, STAGES } from '../events/contract';
import { forgetEventDay, tenantsOfDay } from '../events/event-days';
import type { EventRecord } from '../events/event-store';
import {
  EVENT_ROWS_ONLY,
  INDEX_DIMENSIONS,
  indexPartition,
  payloadStore,
  releaseDedupKey,
  tables,
} from '../events/event-store';
import { timelinePartition, timelineRowPrefix } from '../events/timeline';
import { purgeFailuresOfDay } from '../failures/analysis';
import { errorFields, logger } from '../observability/logger';
import { NotFoundError } from '../storage/errors';
import { tenantPartition, timeBucket, timeBucketsBetween } from '../storage/keys';
import { MAX_TRANSACTION_OPERATIONS } from '../storage/table-repository';

/**
 * Inbound retention (docs/design.md §12): events, their timelines, index rows, payload blobs and dedup
 * rows, and the day's Failure Analysis records and rejections, once their whole day is older than
 * EVENT_RETENTION_DAYS. A timer runs it hourly, at most RETENTION_LIMIT_PER_RUN rows per run,
 * oldest day first. What exists is found through `eventdays` (day → tenants), never by scanning.
 *
 * Per event the children go first and the event row last, so a run cut short (limit, crash) leaves
 * the event row and the next run finishes the job; every delete is idempotent. A tenant-day's
 * `eventdays` row goes once both of its partitions are empty.
 */
export const RETENTION_LIMIT_PER_RUN = 1_000;
/** NCRONTAB, seconds first: hourly at minute 41 (off the hour and off the outbound purge at :23). */
export const EVENTS_RETENTION_SCHEDULE = '0 41 * * * *';
/** Days before the cutoff a run still looks at: a purge stopped for longer leaves older rows. */
export const RETENTION_LOOKBACK_DAYS = 92;
const DAY_MS = 86_400_000;

export interface EventRetentionResult {
  events: number;
  failures: number;
  /** Tenant-days emptied and forgotten. */
  days: number;
  /** The run stopped at its limit; more is due. */
  more: boolean;
}

export async function purgeEvent(tenantId: string, day: string, eventId: string, record: EventRecord): Promise<void> {
  const t = tables();
  // Index rows: the current values, and every status and stage (a crash during a change can leave
  // a row under an earlier one). Deleting a row that is not there is a no-op.
  const partitions = new Set<string>();
  for (const dimension of INDEX_DIMENSIONS) {
    const value = record[dimension];
    if (value !== null && value !== undefined) partitions.add(indexPartition(tenantId, dimension, String(value), day));
  }
  for (const status of EVENT_STATUSES) partitions.add(indexPartition(tenantId, 'status', status, day));
  for (const stage of STAGES) partitions.add(indexPartition(tenantId, 'stage', stage, day));
  await Promise.all([...partitions].map((pk) => t.index.delete(pk, eventId)));

  // The timeline of an event stored before it moved into the event's partition (docs/decisions.md §84).
  const timeline = timelinePartition(tenantId, eventId);
  for await (const row of t.stages.iterate(timeline)) await t.stages.delete(timeline, row.rowKey);
  if (record.payloadBlob) await payloadStore().delete(record.payloadBlob);
  if (record.dedupKey && record.webhookId) await releaseDedupKey(tenantId, record.webhookId, record.dedupKey, eventId);
  // The timeline rows beside the event row go with it, in one transaction (the event row last).
  const pk = tenantPartition(tenantId, day);
  const rows: string[] = [];
  for await (const row of t.timeline.iterate(pk, { rowKeyPrefix: timelineRowPrefix(eventId) })) rows.push(row.rowKey);
  await deleteRows(pk, [...rows, eventId]);
}

/** Rows of one `events` partition, in transactions of at most 100; one by one if any is gone already. */
async function deleteRows(pk: string, rowKeys: string[]): Promise<void> {
  const log = tables().eventLog;
  for (let i = 0; i < rowKeys.length; i += MAX_TRANSACTION_OPERATIONS) {
    const chunk = rowKeys.slice(i, i + MAX_TRANSACTION_OPERATIONS);
    try {
      await log.transact(
        pk,
        chunk.map((rowKey) => ({ op: 'delete', rowKey })),
      );
    } catch (error) {
      // A transaction's delete of an absent row fails it whole; a lone delete is idempotent.
      if (!(error instanceof NotFoundError)) throw error;
      for (const rowKey of chunk) await log.delete(pk, rowKey);
    }
  }
}

/** Purge one tenant-day within `budget` rows; `empty` when nothing of it is left. */
async function purgeTenantDay(
  tenantId: string,
  day: string,
  budget: number,
): Promise<{ events: number; failures: number; empty: boolean }> {
  let events = 0;
  for await (const row of tables().events.iterate(tenantPartition(tenantId, day), EVENT_ROWS_ONLY)) {
    if (events >= budget) return { events, failures: 0, empty: false };
    await purgeEvent(tenantId, day, row.rowKey, row.value);
    events++;
  }
  const failures = await purgeFailuresOfDay(tenantId, day, budget - events);
  return { events, failures: failures.deleted, empty: failures.empty };
}

export async function purgeExpiredEvents(options: {
  retentionDays: number;
  limit?: number;
}): Promise<EventRetentionResult> {
  const limit = options.limit ?? RETENTION_LIMIT_PER_RUN;
  // Whole days only: a day is purged once all of it is past the cutoff (so rows live at most one
  // day longer than the setting, and no day partition is ever half kept).
  const cutoffDay = timeBucket(nowMs() - options.retentionDays * DAY_MS, 'day');
  const from = nowMs() - (options.retentionDays + RETENTION_LOOKBACK_DAYS) * DAY_MS;
  const days = timeBucketsBetween(from, nowMs() - options.retentionDays * DAY_MS, 'day').filter((d) => d < cutoffDay);
  const result: EventRetentionResult = { events: 0, failures: 0, days: 0, more: false };
  for (const day of days) {
    for await (const tenantId of tenantsOfDay(day)) {
      const budget = limit - result.events - result.failures;
      if (budget <= 0) {
        result.more = true;
        return result;
      }
      try {
        const done = await purgeTenantDay(tenantId, day, budget);
        result.events += done.events;
        result.failures += done.failures;
        if (done.empty) {
          await forgetEventDay(tenantId, day);
          result.days++;
        } else {
          result.more = true;
          return result;
        }
      } catch (error) {
        // One tenant-day failing must not stop the others; the next run tries it again.
        logger.warn('event retention could not purge a tenant-day', { tenantId, day, ...errorFields(error) });
      }
    }
  }
  return result;
}
