import { createHash } from 'node:crypto';
import { nowMs } from '../clock';
import { crashPoint } from '../faults/crash-points';
import { errorFields, logger } from '../observability/logger';
import { odata } from '../sdk/data-tables';
import { AlreadyExistsError } from '../storage/errors';
import { newestFirstId, newestFirstIdTime } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import { MAX_TRANSACTION_OPERATIONS } from '../storage/table-repository';
import { deliveryBody } from './attempt';
import { countControl } from './control-counts';
import { DELIVERY_ROWS, fileStatusKey, HELD_REASON, insertDeliveries, readDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import { type EventType, patternMatches, validateEventData } from './event-types';
import { noteTenantDay } from './retention';
import { type DeliveryStarter, UnstartedDeliveriesError } from './starter';
import { type DeliveryRecord, dayOf, dayPartition } from './tables';

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
  /**
   * A keyed publication that may have run before (the pipeline's redelivered stage message): its
   * unfiled rows of subscriptions it no longer lists are looked for even when nothing matches now.
   */
  repeat?: boolean;
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

/** Between the delivery rows and the first-attempt messages (docs/outbound.md, "What a crash leaves"). */
export const PUBLISH_CRASH_AFTER_ROWS = 'outbound.publish.after-rows';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The delivery id for (event, subscription) under a keyed publication: the event's time, a hash. */
export function keyedDeliveryId(eventId: string, subscriptionId: string): string {
  const digest = createHash('sha256').update(`${eventId}\n${subscriptionId}`).digest();
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[digest[i]! % 32];
  return eventId.slice(0, 10) + tail;
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
 * Publish one event: validate it, create one delivery per matching subscription and hand each to
 * the starter (the first-attempt queue). Disabled subscriptions get a `skipped` delivery
 * (retryable after re-enabling), paused ones a `held` one, neither is started. The rows are stored
 * before anything is sent — per day partition one entity-group transaction holding the deliveries
 * and their index rows — and a delivery whose message never arrives (a crash, a failed send) is
 * still `pending` there, which the start sweep finds (sweep.ts). docs/outbound.md, "A delivery".
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
  const matching: Matching[] = [];
  // This instance's copy of the tenant's list, a few seconds old at most (cached-partitions.ts).
  for (const sub of await deps.tables.subscriptions.listCached(tenantId)) {
    const s = sub.value;
    if (!s.eventTypes.some((p) => patternMatches(p, event.type))) continue;
    if (s.products.length > 0 && !s.products.includes(event.source)) continue;
    matching.push({
      id: sub.rowKey,
      etag: sub.etag,
      enabled: s.enabled,
      paused: s.paused === true,
      disabledReason: s.disabledReason,
    });
  }
  // A keyed publication (the pipeline's, one per succeeded event) stores nothing nobody wants.
  if (event.key && matching.length === 0) {
    // Every subscription the earlier run listed may be gone: its rows may still wait unfiled.
    if (event.repeat) await startStored(deps, tenantId, eventId, event.key, true, [], [], starter);
    return { eventId, deliveries: 0, skipped: 0, held: 0 };
  }
  const body = deliveryBody({ id: eventId, type: event.type, publishedAt, data });
  const embedded = Buffer.byteLength(body) <= EMBEDDED_BODY_BYTES;
  const toCreate: Planned[] = [];
  let held = 0;
  // Which subscriptions the starter attempts here and now (a keyed publication only): asked side by
  // side, each answer from the instance's cached health of that subscription.
  const inline = await Promise.all(
    matching.map(async (sub) =>
      event.key !== undefined && sub.enabled && !sub.paused
        ? (await starter?.attemptsInline?.(tenantId, sub.id)) === true
        : false,
    ),
  );
  for (const [i, sub] of matching.entries()) {
    // Minted at the event's time: the deliveries share the event's day partition (one transaction).
    const id = event.key ? keyedDeliveryId(eventId, sub.id) : newestFirstId(at);
    // Paused: stored and kept for the resume (pause.ts), nothing sent now.
    const holding = sub.enabled && sub.paused;
    if (holding) held++;
    // Attempted here and now, and repeated whole after a crash: its status key waits (starter.ts).
    const unfiled = inline[i] === true;
    toCreate.push({
      id,
      sub,
      record: {
        subscriptionId: sub.id,
        eventId,
        eventType: event.type,
        status: holding ? 'held' : sub.enabled ? 'pending' : 'skipped',
        createdAt: publishedAt,
        updatedAt: publishedAt,
        attemptCount: 0,
        automaticAttempts: 0,
        ...(embedded ? { eventBody: body } : {}),
        ...(holding ? { statusReason: HELD_REASON } : {}),
        ...(unfiled ? { unfiled: true as const } : {}),
        ...(sub.enabled
          ? {}
          : { statusReason: `the subscription is disabled: ${sub.disabledReason ?? 'no reason given'}` }),
      },
    });
  }
  // The tenant-day row first (once per instance and day): retention and the start sweep find the
  // day's partition through it, so it must exist before any row it names.
  await noteTenantDay(deps, tenantId, dayOf(eventId));
  // The event row only when the body is too large to ride on the delivery rows: nothing on the
  // first-attempt path reads it otherwise (the deliveries carry type, event id and body).
  if (!embedded) {
    await insertOnce(() =>
      deps.tables.events.insert(dayPartition(tenantId, eventId), eventId, {
        type: event.type,
        data,
        source: event.source,
        publishedAt,
        deliveries: matching.length,
      }),
    );
  }
  const stored = await storeDeliveries(deps, tenantId, toCreate, event.key !== undefined);
  crashPoint(PUBLISH_CRASH_AFTER_ROWS);
  // Rows inserted unfiled now: until the starter has them, only a repeat of this publication can
  // bring them back (starter.ts), so an error from here on must reach the caller, not the log.
  const insertedUnfiled = stored.filter((p) => p.etag !== undefined && p.record.unfiled).map((p) => p.id);
  const mustRepeat = (cause: unknown) =>
    insertedUnfiled.length > 0 && !(cause instanceof UnstartedDeliveriesError)
      ? new UnstartedDeliveriesError(tenantId, insertedUnfiled, { cause })
      : cause;
  try {
    await startStored(deps, tenantId, eventId, event.key, event.repeat === true, stored, toCreate, starter);
  } catch (error) {
    throw mustRepeat(error);
  }
  // Skipped = disabled subscriptions, whether their rows were written now or by an earlier run of
  // the same key (a replayed publication must not count deliveries that already went as skipped).
  const skipped = matching.filter((s) => !s.enabled).length;
  return { eventId, deliveries: matching.length, skipped, held };
}

/**
 * After the rows: a repeat's unfiled rows of subscriptions it no longer lists, the held counts, and
 * each `pending` delivery handed to the starter, side by side. A start that throws leaves a filed
 * delivery `pending` for the start sweep (logged); a start that left its row unfiled
 * (UnstartedDeliveriesError) throws, after the others have been tried.
 */
async function startStored(
  deps: OutboundDeps,
  tenantId: string,
  eventId: string,
  key: string | undefined,
  repeat: boolean,
  stored: readonly StoredPlan[],
  toCreate: readonly Planned[],
  starter: DeliveryStarter | undefined,
): Promise<void> {
  // A repeat (said so, or rows found stored): rows of subscriptions it no longer lists may wait unfiled.
  const orphans =
    key && (repeat || stored.some((p) => p.etag === undefined))
      ? await fileOrphans(deps, tenantId, eventId, new Set(stored.map((p) => p.id)))
      : [];
  // Held by a pause: counted per subscription (control-counts.ts); nothing counted when none is paused.
  for (const { record } of toCreate)
    if (record.status === 'held') await countControl(deps, tenantId, record.subscriptionId, 'held');
  if (!starter) return;
  // Side by side: a starter that sends attempt 1 itself (inlineFirstAttemptStarter) then adds the
  // slowest receiver's time to the publisher's, not the sum of all of them.
  const toStart = [
    ...stored.map(({ id, record, etag, sub }) => ({
      id,
      record,
      carried: etag === undefined ? undefined : { delivery: record, etag, subscriptionEtag: sub.etag },
    })),
    ...orphans.map((o) => ({ id: o.rowKey, record: o.value, carried: undefined })),
  ];
  const failed: unknown[] = [];
  await Promise.all(
    toStart.map(async ({ id, record, carried }) => {
      if (record.status !== 'pending') return;
      try {
        await starter.start(tenantId, id, eventId, carried);
      } catch (error) {
        // A filed delivery stays `pending`: the start sweep starts it after the grace period.
        logger.error('delivery not started', { tenantId, deliveryId: id, ...errorFields(error) });
        if (error instanceof UnstartedDeliveriesError) failed.push(error);
      }
    }),
  );
  if (failed.length > 0) throw failed[0];
}

interface Matching {
  id: string;
  etag: string;
  enabled: boolean;
  paused: boolean;
  disabledReason?: string | undefined;
}

interface Planned {
  id: string;
  sub: Matching;
  record: DeliveryRecord;
}

/** A delivery as stored: `etag` of the row as inserted now; undefined when it existed already. */
interface StoredPlan extends Planned {
  etag: string | undefined;
}

/** Deliveries of one partition per transaction: each delivery is 4 rows (insertDeliveryRows). */
const DELIVERIES_PER_TRANSACTION = Math.floor(MAX_TRANSACTION_OPERATIONS / DELIVERY_ROWS);

/**
 * The deliveries and their index rows, one transaction per day partition (25 deliveries each). A
 * keyed publication seen before (a redelivered stage message) fails its transaction on the
 * existing rows: then each delivery goes alone, and one that exists is left as it is, started
 * again only while still `pending` (its message may have been lost with the earlier run).
 */
async function storeDeliveries(
  deps: OutboundDeps,
  tenantId: string,
  planned: readonly Planned[],
  keyed: boolean,
): Promise<StoredPlan[]> {
  const byPartition = new Map<string, Planned[]>();
  for (const p of planned) {
    const pk = dayPartition(tenantId, p.id);
    const group = byPartition.get(pk) ?? [];
    group.push(p);
    byPartition.set(pk, group);
  }
  const out: StoredPlan[] = [];
  for (const group of byPartition.values()) {
    for (let i = 0; i < group.length; i += DELIVERIES_PER_TRANSACTION) {
      const chunk = group.slice(i, i + DELIVERIES_PER_TRANSACTION);
      try {
        const etags = await insertDeliveries(deps, tenantId, chunk);
        for (const [j, p] of chunk.entries()) out.push({ ...p, etag: etags[j] ?? '' });
      } catch (error) {
        if (!(error instanceof AlreadyExistsError) || !keyed) throw error;
        for (const p of chunk) out.push(await storeOne(deps, tenantId, p));
      }
    }
  }
  return out;
}

/**
 * A repeated keyed publication's unfiled rows of subscriptions it did not list this time (deleted,
 * or their event types or products changed since the run that died): nothing else would ever
 * attempt or end them, since the start sweep finds deliveries by their status key. Each is filed
 * and handed to the starter with the others; its attempt then ends it (a deleted subscription
 * fails it). A keyed publication's deliveries share the event id's time prefix (keyedDeliveryId),
 * so one short RowKey range, filtered by event id, holds them all.
 */
async function fileOrphans(
  deps: OutboundDeps,
  tenantId: string,
  eventId: string,
  listed: ReadonlySet<string>,
): Promise<Stored<DeliveryRecord>[]> {
  const filed: Stored<DeliveryRecord>[] = [];
  for await (const row of deps.tables.deliveries.iterate(dayPartition(tenantId, eventId), {
    rowKeyPrefix: eventId.slice(0, 10),
    filter: odata`eventId eq ${eventId}`,
  })) {
    if (listed.has(row.rowKey) || !row.value.unfiled) continue;
    const changed = await fileStatusKey(deps, tenantId, row.rowKey, row);
    if (changed) filed.push(changed);
  }
  return filed;
}

async function storeOne(deps: OutboundDeps, tenantId: string, p: Planned): Promise<StoredPlan> {
  try {
    const [etag] = await insertDeliveries(deps, tenantId, [p]);
    return { ...p, etag: etag ?? '' };
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
  }
  // `existed`: an earlier run of the same key (or a concurrent one) wrote the same rows. One still
  // unfiled was left by a run that died during its attempt: its status key is filed before the
  // starter hands it to a queue.
  let existing = await readDelivery(deps, tenantId, p.id);
  if (existing?.value.unfiled) existing = await fileStatusKey(deps, tenantId, p.id, existing);
  return { ...p, record: existing?.value ?? { ...p.record, status: 'succeeded' }, etag: undefined };
}
