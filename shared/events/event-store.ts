import { createHash } from 'node:crypto';
import { nowMs } from '../clock';
import type { BlobStore } from '../storage/blob-store';
import { AlreadyExistsError } from '../storage/errors';
import { newestFirstId, newestFirstIdTime, shardOf, tenantPartition, timeBucket } from '../storage/keys';
import {
  type EventStatus,
  type EventTrigger,
  type NormalizedEvent,
  normalizedEventSchema,
  type Stage,
} from './contract';
import { eventDeps, PAYLOAD_CONTAINER } from './deps';
import { noteEventDay } from './event-days';
import type { EventRecord, EventTables } from './tables';
import { EVENT_ROWS_ONLY } from './tables';

export type { EventRecord };
/** A walk of a day's event rows only: the timeline rows in the same partition sort after them. */
export { EVENT_ROWS_ONLY };

/**
 * The inbound event log (docs/design.md §4): one row per event in `events`, its payload inline up to
 * 32 KiB or in a blob, the normalised event once validation wrote it. Other capabilities read
 * events through these functions only (never the table).
 */
export interface EventView {
  id: string;
  tenantId: string;
  source: string;
  webhookId: string | null;
  integrationId: string | null;
  type: string | null;
  status: EventStatus;
  stage: Stage;
  receivedAt: string;
  trigger: EventTrigger;
  replayOf: string | null;
  rootEventId: string;
  sopId: string | null;
  agentRunId: string | null;
  correlationId: string;
}

/** Bodies up to this size stay in the event row; larger ones go to a blob (docs/design.md §3.1). */
export const INLINE_PAYLOAD_BYTES = 32 * 1024;
const PREVIEW_CHARS = 300;

export { PAYLOAD_CONTAINER };

export function tables(): EventTables {
  return eventDeps().tables;
}

export function payloadStore(): BlobStore {
  return eventDeps().payloads;
}

/** Where an event row lives, derived from its id alone (the id carries its minting time). */
export function eventPartition(tenantId: string, eventId: string): string {
  return tenantPartition(tenantId, timeBucket(newestFirstIdTime(eventId), 'day'));
}

/** An id that is not a newest-first id cannot name an event: it is simply not found. */
function partitionOrUndefined(tenantId: string, eventId: string): string | undefined {
  try {
    return eventPartition(tenantId, eventId);
  } catch {
    return undefined;
  }
}

export function toView(tenantId: string, id: string, r: EventRecord): EventView {
  return {
    id,
    tenantId,
    source: r.source,
    webhookId: r.webhookId,
    integrationId: r.integrationId,
    type: r.type,
    status: r.status,
    stage: r.stage,
    receivedAt: r.receivedAt,
    trigger: r.trigger,
    replayOf: r.replayOf,
    rootEventId: r.rootEventId,
    sopId: r.sopId,
    agentRunId: r.agentRunId,
    correlationId: r.correlationId,
  };
}

export async function loadEventRecord(
  tenantId: string,
  eventId: string,
): Promise<{ record: EventRecord; etag: string } | undefined> {
  const pk = partitionOrUndefined(tenantId, eventId);
  if (!pk) return undefined;
  const row = await tables().events.get(pk, eventId);
  return row ? { record: row.value, etag: row.etag } : undefined;
}

export async function loadEvent(tenantId: string, eventId: string): Promise<EventView | undefined> {
  const found = await loadEventRecord(tenantId, eventId);
  return found ? toView(tenantId, eventId, found.record) : undefined;
}

export class EventMissingError extends Error {
  override readonly name = 'EventMissingError';
}

/** The normalised event the validation stage wrote; throws when there is none (yet). */
export async function loadNormalizedEvent(tenantId: string, eventId: string): Promise<NormalizedEvent> {
  const found = await loadEventRecord(tenantId, eventId);
  if (!found) throw new EventMissingError(`event ${eventId} does not exist`);
  return normalizedOf(eventId, found.record);
}

/** The body text as received, from the row or its blob. */
export async function loadEventPayloadText(tenantId: string, eventId: string): Promise<string> {
  const found = await loadEventRecord(tenantId, eventId);
  if (!found) throw new EventMissingError(`event ${eventId} does not exist`);
  return payloadTextOf(found.record);
}

export async function payloadTextOf(record: EventRecord): Promise<string> {
  if (record.payloadText !== undefined) return record.payloadText;
  if (!record.payloadBlob) return '';
  const bytes = await payloadStore().get(record.payloadBlob);
  if (!bytes) throw new EventMissingError(`payload blob ${record.payloadBlob} is missing`);
  return bytes.toString('utf8');
}

/** The parsed payload (inline or from the blob). Receive accepts JSON bodies only. */
export async function loadEventPayload(tenantId: string, eventId: string): Promise<unknown> {
  const text = await loadEventPayloadText(tenantId, eventId);
  return text === '' ? null : JSON.parse(text);
}

export type EventPatch = Partial<Pick<EventView, 'status' | 'stage' | 'sopId' | 'agentRunId' | 'type'>> & {
  errorType?: string;
  filteredBy?: string;
  normalized?: NormalizedEvent;
};

/** Statuses an event never leaves (a replay is a new event). */
export const TERMINAL_STATUSES: ReadonlySet<EventStatus> = new Set<EventStatus>(['succeeded', 'failed', 'filtered']);

/**
 * Apply a patch under the row's ETag (re-read and re-applied on a lost race) and keep the filter
 * index in step: rows for the new values are written, rows for the old ones removed.
 *
 * A terminal status is final, decided here on the row as read under the ETag — not by callers on a
 * view they loaded earlier: a redelivered stage re-applying its recorded `processing` may have read
 * the event before another stage finished it, and must not bring a failed or succeeded event back
 * (docs/pipeline.md, "The stage runner"). Such a patch keeps status, stage and error type; its other fields apply.
 */
export async function updateEvent(
  tenantId: string,
  eventId: string,
  patch: EventPatch,
  known?: StoredEvent,
): Promise<StoredEvent> {
  const pk = eventPartition(tenantId, eventId);
  let before: EventRecord | undefined;
  const after = await tables().events.update(
    pk,
    eventId,
    (current) => {
      if (!current) return undefined;
      before = current;
      return patchedEvent(current, patch);
    },
    {
      maxAttempts: 20,
      // The row as the caller read it (the stage runner's one read per delivery): a stale copy
      // loses the ETag race and the next round reads, so nothing is overwritten.
      ...(known ? { current: { partitionKey: pk, rowKey: eventId, etag: known.etag, value: known.record } } : {}),
    },
  );
  if (!after || !before) throw new EventMissingError(`event ${eventId} does not exist`);
  await reindexEvent(tenantId, eventId, before, after.value);
  return { record: after.value, etag: after.etag };
}

/**
 * The row a patch makes of `current` (status, stage and error type of a finished event stay: see
 * updateEvent). Shared by updateEvent and the timeline's move-and-record transaction.
 */
export function patchedEvent(current: EventRecord, patch: EventPatch): EventRecord {
  const { normalized, ...fields } = patch;
  const next: EventRecord = { ...current };
  const final = TERMINAL_STATUSES.has(current.status);
  for (const [key, value] of Object.entries(fields)) {
    if (final && (key === 'status' || key === 'stage' || key === 'errorType')) continue;
    if (value !== undefined) (next as Record<string, unknown>)[key] = value;
  }
  if (normalized) next.normalized = JSON.stringify(normalized);
  next.updatedAt = new Date(nowMs()).toISOString();
  next.indexed = true;
  return next;
}

/** An event row with the ETag it was read or written under. */
export interface StoredEvent {
  record: EventRecord;
  etag: string;
}

/** The normalised event on a row already read; EventMissingError when validation has not written it. */
export function normalizedOf(eventId: string, record: EventRecord): NormalizedEvent {
  if (!record.normalized) throw new EventMissingError(`event ${eventId} has not been validated`);
  return normalizedEventSchema.parse(JSON.parse(record.normalized));
}

/** The dimensions the events list filters by (docs/pipeline.md, "Listing"). */
export const INDEX_DIMENSIONS = ['status', 'source', 'type', 'stage', 'errorType'] as const;
export type IndexDimension = (typeof INDEX_DIMENSIONS)[number];

/**
 * Statuses of an event on its way through the stages. They change with every stage move, so they
 * get no index rows: a list or sweep asking for them walks the day's `events` partition with the
 * condition pushed to the service (docs/decisions.md §84). Every other status is a resting one
 * (held, awaiting an approval, finished) and is indexed.
 */
export const IN_FLIGHT_STATUSES: ReadonlySet<EventStatus> = new Set<EventStatus>(['received', 'processing']);

/**
 * Whether `eventindex` holds rows for this dimension and value. `stage` never does: it moves on
 * every stage delivery, which cost two index writes per move (about 12 per event); a stage filter
 * walks the day partitions instead, or rides on a more selective indexed filter given with it.
 */
export function isIndexed(dimension: IndexDimension, value: string): boolean {
  if (dimension === 'stage') return false;
  if (dimension === 'status') return !IN_FLIGHT_STATUSES.has(value as EventStatus);
  return true;
}

export function indexPartition(tenantId: string, dimension: IndexDimension, value: string, day: string): string {
  return tenantPartition(tenantId, dimension, value, day);
}

function indexedValue(record: EventRecord, dimension: IndexDimension): string | undefined {
  const value = record[dimension];
  if (value === null || value === undefined) return undefined;
  const text = String(value);
  return isIndexed(dimension, text) ? text : undefined;
}

/**
 * The index rows follow the event's indexed values. Nothing is indexed at receive (its write budget
 * is fixed, docs/design.md §4); the first update after it (`full`, usually the validation stage's)
 * writes every indexed dimension, later updates only the ones that changed — which, for an event on
 * its way through the stages, is none until it comes to rest (docs/pipeline.md, "Storage operations
 * per event").
 */
export async function reindexEvent(
  tenantId: string,
  eventId: string,
  before: EventRecord,
  after: EventRecord,
): Promise<void> {
  const full = before.indexed !== true;
  const day = timeBucket(newestFirstIdTime(eventId), 'day');
  const at = after.receivedAt;
  const writes: Array<Promise<unknown>> = [];
  for (const dimension of INDEX_DIMENSIONS) {
    const old = indexedValue(before, dimension);
    const now = indexedValue(after, dimension);
    if (now !== undefined && (full || old !== now)) {
      writes.push(tables().index.upsert(indexPartition(tenantId, dimension, now, day), eventId, { at }));
    }
    if (old !== undefined && old !== now) {
      writes.push(tables().index.delete(indexPartition(tenantId, dimension, old, day), eventId));
    }
  }
  await Promise.all(writes);
}

export interface NewEvent {
  tenantId: string;
  source: string;
  webhookId: string | null;
  integrationId: string | null;
  trigger: EventTrigger;
  replayOf: string | null;
  /** The original event a chain of replays started from; defaults to the new event itself. */
  rootEventId?: string;
  correlationId: string;
  dedupKey: string | null;
  bodyText: string;
  /** A pre-minted id (from the dedup row); minted here when absent. */
  eventId?: string;
  /** `held`: its webhook is paused; no validation message until the resume (shared/inbound/held-events.ts). */
  status?: 'received' | 'held';
}

export function payloadBlobName(tenantId: string, eventId: string): string {
  return `${encodeURIComponent(tenantId)}/${timeBucket(newestFirstIdTime(eventId), 'day')}/${eventId}.json`;
}

/**
 * Persist a new event as `received`: the payload blob first when the body is large (a row never
 * points at a blob that is not there), then the row. Returns false when a row with that id exists
 * already (a concurrent or earlier delivery of the same vendor event stored it).
 */
export async function createEvent(input: NewEvent): Promise<{ created: boolean; view: EventView }> {
  const id = input.eventId ?? newestFirstId();
  const at = new Date(nowMs()).toISOString();
  const bytes = Buffer.byteLength(input.bodyText, 'utf8');
  let payload: Pick<EventRecord, 'payloadText' | 'payloadBlob'>;
  if (bytes > INLINE_PAYLOAD_BYTES) {
    const name = payloadBlobName(input.tenantId, id);
    await payloadStore().put(name, input.bodyText, 'application/json');
    payload = { payloadBlob: name };
  } else {
    payload = { payloadText: input.bodyText };
  }
  const record: EventRecord = {
    source: input.source,
    webhookId: input.webhookId,
    integrationId: input.integrationId,
    type: null,
    status: input.status ?? 'received',
    stage: 'validation',
    receivedAt: at,
    updatedAt: at,
    trigger: input.trigger,
    replayOf: input.replayOf,
    rootEventId: input.rootEventId ?? id,
    sopId: null,
    agentRunId: null,
    correlationId: input.correlationId,
    dedupKey: input.dedupKey,
    ...payload,
    payloadBytes: bytes,
    payloadPreview: input.bodyText.slice(0, PREVIEW_CHARS),
    timelineInPartition: true,
  };
  // The day row first: housekeeping must be able to find every event row (event-days.ts).
  await noteEventDay(input.tenantId, newestFirstIdTime(id));
  try {
    await tables().events.insert(eventPartition(input.tenantId, id), id, record);
    // A held event is found by the resume (and the status filter) through its index row.
    if (record.status === 'held') {
      const day = timeBucket(newestFirstIdTime(id), 'day');
      await tables().index.upsert(indexPartition(input.tenantId, 'status', 'held', day), id, { at });
    }
    return { created: true, view: toView(input.tenantId, id, record) };
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    const existing = await loadEvent(input.tenantId, id);
    if (!existing) throw error;
    return { created: false, view: existing };
  }
}

/** Where the dedup row of one vendor event lives (a few shards per tenant keep the partition cool). */
function dedupAddress(tenantId: string, webhookId: string, dedupKey: string): { pk: string; rk: string } {
  const rk = createHash('sha256').update(`${webhookId}|${dedupKey}`, 'utf8').digest('hex');
  return { pk: tenantPartition(tenantId, 'dedup', String(shardOf(rk, DEDUP_SHARDS))), rk };
}
const DEDUP_SHARDS = 8;

/**
 * Claim a vendor event id for a new event id with one conditional insert. `claimed: false` names the
 * event that claimed it first — possibly not stored yet when its receiver crashed in between, which
 * the caller repairs by storing it under that id.
 */
export async function claimDedupKey(
  tenantId: string,
  webhookId: string,
  dedupKey: string,
  eventId: string,
): Promise<{ claimed: boolean; eventId: string }> {
  const { pk, rk } = dedupAddress(tenantId, webhookId, dedupKey);
  try {
    await tables().dedup.insert(pk, rk, { eventId, receivedAt: new Date(nowMs()).toISOString() });
    return { claimed: true, eventId };
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    const row = await tables().dedup.get(pk, rk);
    if (!row) return claimDedupKey(tenantId, webhookId, dedupKey, eventId);
    return { claimed: false, eventId: row.value.eventId };
  }
}

/** Retention: the dedup row of a purged event goes with it (only if it still names that event). */
export async function releaseDedupKey(
  tenantId: string,
  webhookId: string,
  dedupKey: string,
  eventId: string,
): Promise<void> {
  const { pk, rk } = dedupAddress(tenantId, webhookId, dedupKey);
  const row = await tables().dedup.get(pk, rk);
  if (row?.value.eventId === eventId) await tables().dedup.delete(pk, rk, row.etag);
}
