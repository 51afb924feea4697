import { nowMs } from '../clock';
import { tenantPartition, timeBucket, timeBucketsBetween } from '../storage/keys';
import { changeDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import { DELIVERY_KEYS_FROM, type DeliveryRecord, dayPartition, type OutboundEventRecord } from './tables';

/**
 * Erasing outbound payloads (docs/storage.md, "Payload retention and erasure"): the body a delivery
 * POSTs lives inline on the delivery row (`eventBody`, small bodies) or is rebuilt from the
 * `outboundevents` row's `data`. Erasing drops both and marks the rows `payloadErasedAt`; ids,
 * status, attempts and counts stay, and an attempt of an erased delivery is refused
 * (shared/outbound/attempt.ts). Everything here is idempotent: a run cut short is finished by the
 * next call. shared/payload-erasure decides when (a request, a tenant's window) and calls these.
 */
const DAY_MS = 86_400_000;
const NEWEST_FIRST_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export interface OutboundErasure {
  /** Rows changed by this call (an outbound event row counts as one, each delivery as one). */
  erased: number;
  /** Whether any outbound row named by the call exists (erased now or before). */
  found: boolean;
}

function erasedDelivery(current: DeliveryRecord, at: string): DeliveryRecord | undefined {
  if (current.payloadErasedAt) return undefined;
  const { eventBody: _body, ...rest } = current;
  return { ...rest, payloadErasedAt: at };
}

function erasedEvent(current: OutboundEventRecord | undefined, at: string): OutboundEventRecord | undefined {
  if (!current || current.payloadErasedAt) return undefined;
  return { ...current, data: {}, payloadErasedAt: at };
}

async function eraseDelivery(deps: OutboundDeps, tenantId: string, id: string, at: string): Promise<boolean> {
  let changed = false;
  await changeDelivery(deps, tenantId, id, (current) => {
    const next = erasedDelivery(current, at);
    changed = next !== undefined;
    return next;
  });
  return changed;
}

/** The outbound event row; `true` when this call erased it. */
async function eraseEvent(deps: OutboundDeps, tenantId: string, eventId: string, at: string): Promise<boolean> {
  let changed = false;
  await deps.tables.events.update(dayPartition(tenantId, eventId), eventId, (current) => {
    const next = erasedEvent(current, at);
    changed = next !== undefined;
    return next;
  });
  return changed;
}

/**
 * The outbound event published under `eventId` and every delivery of it. A keyed publication (the
 * pipeline publishes with the inbound event id as key) mints delivery ids that start with the
 * event id's time part (publish.ts, `keyedDeliveryId`), so its deliveries are one RowKey prefix of
 * the event's day partition, checked against `eventId` on each row. Deliveries first, the event
 * row last: an erasure cut short still has the event row to find, and the next call finishes it.
 */
export async function erasePublishedPayloads(
  deps: OutboundDeps,
  tenantId: string,
  eventId: string,
): Promise<OutboundErasure> {
  const at = new Date(nowMs()).toISOString();
  const result: OutboundErasure = { erased: 0, found: false };
  // Only newest-first ids name an outbound event; anything else has nothing here (no RangeError).
  if (!NEWEST_FIRST_ID.test(eventId)) return result;
  const pk = dayPartition(tenantId, eventId);
  for await (const row of deps.tables.deliveries.iterate(pk, { rowKeyPrefix: eventId.slice(0, 10) })) {
    if (row.value.eventId !== eventId) continue;
    result.found = true;
    if (await eraseDelivery(deps, tenantId, row.rowKey, at)) result.erased++;
  }
  if (await eraseEvent(deps, tenantId, eventId, at)) result.erased++;
  if (!result.found) result.found = (await deps.tables.events.get(pk, eventId)) !== undefined;
  return result;
}

/**
 * The housekeeping for a tenant's payload window: every delivery and outbound event of the
 * tenant's whole days past `days` (and not past the outbound retention, whose timer deletes the
 * rows whole), at most `limit` rows erased, oldest day first. Each tenant-day is two partition
 * reads (`deliveries` below the index rows, `outboundevents`); erased rows say so and are skipped.
 */
export async function eraseOutboundPayloadsPastWindow(
  deps: OutboundDeps,
  options: { tenantId: string; days: number; retentionDays: number; limit: number },
): Promise<{ erased: number; more: boolean }> {
  const result = { erased: 0, more: false };
  if (options.limit <= 0) return { erased: 0, more: true };
  const at = new Date(nowMs()).toISOString();
  const windowDay = timeBucket(nowMs() - options.days * DAY_MS, 'day');
  const days = timeBucketsBetween(
    nowMs() - options.retentionDays * DAY_MS,
    nowMs() - options.days * DAY_MS,
    'day',
  ).reverse();
  for (const day of days) {
    // Whole days only, as for inbound events: a day goes once all of it is past the window.
    if (day >= windowDay) continue;
    const pk = tenantPartition(options.tenantId, day);
    for await (const row of deps.tables.deliveries.iterate(pk, { rowKeyTo: DELIVERY_KEYS_FROM })) {
      if (row.value.payloadErasedAt) continue;
      if (result.erased >= options.limit) return { ...result, more: true };
      if (await eraseDelivery(deps, options.tenantId, row.rowKey, at)) result.erased++;
    }
    for await (const row of deps.tables.events.iterate(pk)) {
      if (row.value.payloadErasedAt) continue;
      if (result.erased >= options.limit) return { ...result, more: true };
      if (await eraseEvent(deps, options.tenantId, row.rowKey, at)) result.erased++;
    }
  }
  return result;
}
