import { createHash } from 'node:crypto';
import { nowMs } from '../clock';
import { crashPoint } from '../faults/crash-points';
import { errorFields, logger } from '../observability/logger';
import { AlreadyExistsError } from '../storage/errors';
import { newestFirstId, newestFirstIdTime } from '../storage/keys';
import { MAX_TRANSACTION_OPERATIONS } from '../storage/table-repository';
import { deliveryBody } from './attempt';
import { countControl } from './control-counts';
import { HELD_REASON, insertDelivery, readDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import { type EventType, patternMatches, validateEventData } from './event-types';
import type { DeliveryStarter } from './starter';
import {
  type DeliveryRecord,
  dayPartition,
  retentionPartitionOf,
  retentionRowKey,
  startMarkerPartition,
  startMarkerRowKey,
} from './tables';

export interface PublishedEvent {
  type: EventType;
  data: unknown;
  /** Who produced it: a vendor id for pipeline and sync events, `admin` for the publish API. */
  source: string;
  /**
   * A newest-first id naming this publication (the pipeline passes its inbound event id). It
   * becomes the event id and fixes the delivery ids, so publishing the same key again — a
   * redelivered stage message — creates nothing new and starts nothing twice.
   */
  key?: string;
}

export interface PublishResult {
  eventId: string;
  deliveries: number;
  /** Deliveries created `skipped` because their subscription is disabled (counted in `deliveries`). */
  skipped: number;
  /** Deliveries created `held` because their subscription is paused (counted in `deliveries`). */
  held: number;
}

/** Bodies up to this size ride on the delivery row, saving each attempt a read of the event. */
export const EMBEDDED_BODY_BYTES = 16 * 1024;

/** Between the delivery rows and the orchestration starts (docs/outbound.md, "Housekeeping"). */
export const PUBLISH_CRASH_AFTER_ROWS = 'outbound.publish.after-rows';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The delivery id for (event, subscription) under a keyed publication: the event's time, a hash. */
export function keyedDeliveryId(eventId: string, subscriptionId: string): string {
  const digest = createHash('sha256').update(`${eventId}\n${subscriptionId}`).digest();
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[digest[i]! % 32];
  return eventId.slice(0, 10) + tail;
}

/** Rows of one partition in transactions of at most MAX_TRANSACTION_OPERATIONS. */
function chunks<R>(rows: readonly R[]): R[][] {
  const out: R[][] = [];
  for (let i = 0; i < rows.length; i += MAX_TRANSACTION_OPERATIONS)
    out.push(rows.slice(i, i + MAX_TRANSACTION_OPERATIONS));
  return out;
}

async function insertOnce(write: () => Promise<unknown>): Promise<'inserted' | 'existed'> {
  try {
    await write();
    return 'inserted';
  } catch (error) {
    if (error instanceof AlreadyExistsError) return 'existed';
    throw error;
  }
}

/**
 * Publish one event: validate it, store it, create one delivery per matching subscription and
 * start one orchestration per delivery. Disabled subscriptions get a `skipped` delivery (retryable
 * after re-enabling) and no orchestration. Rows are written before anything starts, and each
 * delivery to start carries a start marker until its start is confirmed, so a start that fails or
 * never happens (no durable client, a crash) is picked up by the sweep (sweep.ts).
 */
export async function publishToSubscribers(
  deps: OutboundDeps,
  tenantId: string,
  event: PublishedEvent,
  starter: DeliveryStarter | undefined,
): Promise<PublishResult> {
  const data = validateEventData(event.type, event.data);
  const at = nowMs();
  const publishedAt = new Date(at).toISOString();
  // A key is a newest-first id (newestFirstIdTime throws otherwise): the partitions follow from it.
  const eventId = event.key ?? newestFirstId(at);
  if (event.key) newestFirstIdTime(event.key);
  const matching: { id: string; enabled: boolean; paused: boolean; disabledReason?: string | undefined }[] = [];
  for await (const sub of deps.tables.subscriptions.iterate(tenantId)) {
    const s = sub.value;
    if (!s.eventTypes.some((p) => patternMatches(p, event.type))) continue;
    if (s.products.length > 0 && !s.products.includes(event.source)) continue;
    matching.push({ id: sub.rowKey, enabled: s.enabled, paused: s.paused === true, disabledReason: s.disabledReason });
  }
  // A keyed publication (the pipeline's, one per succeeded event) stores nothing nobody wants.
  if (event.key && matching.length === 0) return { eventId, deliveries: 0, skipped: 0, held: 0 };
  const body = deliveryBody({ id: eventId, type: event.type, publishedAt, data });
  const eventBody = Buffer.byteLength(body) <= EMBEDDED_BODY_BYTES ? { eventBody: body } : {};
  // Decide every delivery first, so the rows that share a partition are written together.
  const toCreate: { id: string; record: DeliveryRecord }[] = [];
  const toStart: string[] = [];
  let held = 0;
  for (const sub of matching) {
    const id = event.key ? keyedDeliveryId(eventId, sub.id) : newestFirstId();
    if (event.key) {
      // The same publication again (a redelivered stage message): start what is still waiting.
      const existing = await readDelivery(deps, tenantId, id);
      if (existing) {
        if (existing.value.status === 'pending') toStart.push(id);
        continue;
      }
    }
    // Paused: stored and kept for the resume (pause.ts), no start marker, nothing sent now.
    const holding = sub.enabled && sub.paused;
    if (holding) held++;
    toCreate.push({
      id,
      record: {
        subscriptionId: sub.id,
        eventId,
        eventType: event.type,
        status: holding ? 'held' : sub.enabled ? 'pending' : 'skipped',
        createdAt: publishedAt,
        updatedAt: publishedAt,
        attemptCount: 0,
        automaticAttempts: 0,
        ...eventBody,
        ...(holding ? { statusReason: HELD_REASON } : {}),
        ...(sub.enabled
          ? {}
          : { statusReason: `the subscription is disabled: ${sub.disabledReason ?? 'no reason given'}` }),
      },
    });
    if (sub.enabled && !holding) toStart.push(id);
  }
  // Retention rows and start markers before the event and delivery rows: a crash after them leaves
  // rows the timers clean up. The event's rows all sit in partitions chosen by the event id, so each
  // table takes one transaction per 100 rows instead of one write per row.
  const retention = [
    { op: 'upsert' as const, rowKey: retentionRowKey(tenantId, 'e', eventId), value: { at: publishedAt } },
    ...toCreate.map(({ id }) => ({
      op: 'upsert' as const,
      rowKey: retentionRowKey(tenantId, 'd', id),
      value: { at: publishedAt },
    })),
  ];
  const markers = toStart.map((id) => ({
    op: 'upsert' as const,
    rowKey: startMarkerRowKey(tenantId, id),
    value: { tenantId, deliveryId: id },
  }));
  await Promise.all([
    ...chunks(retention).map((rows) => deps.tables.days.transact(retentionPartitionOf(eventId), rows)),
    ...chunks(markers).map((rows) => deps.tables.starts.transact(startMarkerPartition(eventId), rows)),
  ]);
  await insertOnce(() =>
    deps.tables.events.insert(dayPartition(tenantId, eventId), eventId, {
      type: event.type,
      data,
      source: event.source,
      publishedAt,
      deliveries: matching.length,
    }),
  );
  // `existed` only when a concurrent publication of the same key won: its rows are the same.
  for (const { id, record } of toCreate) await insertOnce(() => insertDelivery(deps, tenantId, id, record));
  crashPoint(PUBLISH_CRASH_AFTER_ROWS);
  // Held by a pause: counted per subscription (control-counts.ts); nothing counted when none is paused.
  for (const { record } of toCreate)
    if (record.status === 'held') await countControl(deps, tenantId, record.subscriptionId, 'held');
  if (starter) {
    for (const id of toStart) {
      try {
        await starter.start(tenantId, id, eventId);
      } catch (error) {
        // The delivery stays `pending` with its start marker: the sweep starts it after the grace period.
        logger.error('delivery not started', { tenantId, deliveryId: id, ...errorFields(error) });
        continue;
      }
      // The first-attempt worker removes the marker when it is done with the delivery.
      if (starter.handsOffMarker) continue;
      // A marker left behind costs the sweep one status read; it is not worth failing the publish.
      await deps.tables.starts
        .delete(startMarkerPartition(eventId), startMarkerRowKey(tenantId, id))
        .catch((error: unknown) => logger.warn('start marker not removed', { deliveryId: id, ...errorFields(error) }));
    }
  }
  // Skipped = disabled subscriptions, whether their rows were written now or by an earlier run of
  // the same key (a replayed publication must not count deliveries that already went as skipped).
  const skipped = matching.filter((s) => !s.enabled).length;
  return { eventId, deliveries: matching.length, skipped, held };
}
