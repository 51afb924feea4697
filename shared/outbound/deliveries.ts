import { nowMs } from '../clock';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
import { odata } from '../sdk/data-tables';
import { decodeStateCursor, encodeStateCursor } from '../storage/cursor';
import { ConflictError, NotFoundError } from '../storage/errors';
import { newestFirstIdTime, tenantPartition, timeBucketsBetween } from '../storage/keys';
import type { Stored, TableWrite } from '../storage/table-repository';
import type { OutboundDeps } from './deps';
import { attemptCodes } from './network-failure';
import {
  type AttemptRecord,
  type AttemptTrigger,
  attemptLogPrefix,
  attemptLogRowKey,
  attemptRowKey,
  attemptsPartition,
  DELIVERY_KEYS_FROM,
  type DeliveryPartitionRow,
  type DeliveryRecord,
  type DeliveryStatus,
  dayOf,
  dayPartition,
  deliveryKeyPrefix,
  deliveryKeyRowKey,
  type IndexKind,
  type IndexRecord,
  indexPartition,
  isIndexedStatus,
} from './tables';

/** Why a delivery is `held` (publish.ts, attempt.ts); the resume clears it. */
export const HELD_REASON = 'the subscription is paused; sent when it is resumed';

export interface AttemptView {
  n: number;
  at: string;
  trigger: AttemptTrigger;
  statusCode: number | null;
  /** The HTTP status or network failure code; `catalogCode` keys GET /api/v1/error-catalog/{code}. */
  code: string;
  catalogCode: string | null;
  durationMs: number;
  error?: string;
  responseExcerpt?: string;
  nextAttemptAt?: string;
}

export interface DeliveryView {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  statusReason?: string;
  createdAt: string;
  updatedAt: string;
  attemptCount: number;
  automaticAttempts: number;
  /** Times the first attempt waited its turn (rate limit or a 429's Retry-After). */
  throttled?: number;
  nextAttemptAt?: string;
  attempts?: AttemptView[];
  /** In lists: the latest attempt without its response excerpt, or null before the first. */
  lastAttempt?: Omit<AttemptView, 'responseExcerpt'> | null;
}

export function deliveryView(stored: Stored<DeliveryRecord>): DeliveryView {
  const v = stored.value;
  return {
    id: stored.rowKey,
    subscriptionId: v.subscriptionId,
    eventId: v.eventId,
    eventType: v.eventType,
    status: v.status,
    ...(v.statusReason ? { statusReason: v.statusReason } : {}),
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    attemptCount: v.attemptCount,
    automaticAttempts: v.automaticAttempts,
    ...(v.throttled ? { throttled: v.throttled } : {}),
    ...(v.nextAttemptAt && (v.status === 'retrying' || v.status === 'pending')
      ? { nextAttemptAt: v.nextAttemptAt }
      : {}),
  };
}

export async function readDelivery(
  deps: OutboundDeps,
  tenantId: string,
  id: string,
): Promise<Stored<DeliveryRecord> | undefined> {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) return undefined;
  return deps.tables.deliveries.get(dayPartition(tenantId, id), id);
}

/** Rows a new delivery takes in its partition: the row and its three index rows. */
export const DELIVERY_ROWS = 4;

function newDeliveryRows(id: string, record: DeliveryRecord): TableWrite<DeliveryPartitionRow>[] {
  const at = { at: record.createdAt };
  return [
    { op: 'insert', rowKey: id, value: { ...record, keys: 'row' } },
    { op: 'upsert', rowKey: deliveryKeyRowKey('sub', record.subscriptionId, id), value: at },
    { op: 'upsert', rowKey: deliveryKeyRowKey('type', record.eventType, id), value: at },
    ...(isIndexedStatus(record.status) && !record.unfiled
      ? [{ op: 'upsert' as const, rowKey: deliveryKeyRowKey('status', record.status, id), value: at }]
      : []),
  ];
}

/**
 * A new delivery row and its index rows (by subscription, event type and status) in one
 * entity-group transaction on the delivery's partition: both or neither, one round trip.
 */
export async function insertDelivery(
  deps: OutboundDeps,
  tenantId: string,
  id: string,
  record: DeliveryRecord,
): Promise<void> {
  await deps.tables.deliveryRows.transact(dayPartition(tenantId, id), newDeliveryRows(id, record));
}

/**
 * New deliveries of one day partition (at most 25) and their index rows in one transaction. The
 * records are marked `keys: 'row'` in place, so each is exactly the row stored; answers each
 * delivery row's ETag ('' where the service's answer carried none).
 */
export async function insertDeliveries(
  deps: OutboundDeps,
  tenantId: string,
  deliveries: readonly { id: string; record: DeliveryRecord }[],
): Promise<string[]> {
  const first = deliveries[0];
  if (!first) return [];
  for (const d of deliveries) d.record.keys = 'row';
  const stored = await deps.tables.deliveryRows.transact(
    dayPartition(tenantId, first.id),
    deliveries.flatMap((d) => newDeliveryRows(d.id, d.record)),
  );
  const etags = new Map(stored.map((row) => [row.rowKey, row.etag]));
  return deliveries.map((d) => etags.get(d.id) ?? '');
}

/** Lost races an ETag write of a delivery retries before giving up (as TableRepository.update). */
const CHANGE_ATTEMPTS = 10;

/**
 * Read-modify-write of a delivery under its ETag, keeping its status index in step. `known` is the
 * row as the caller just read or wrote it: the first round writes against its ETag without reading
 * again (a stale one loses the race and the next round reads). A delivery whose index rows sit in
 * its partition changes status in one transaction (the row, the new status key, the old one's
 * removal); an older one keeps the two-step order in `deliveryindex` (changeLegacyDelivery).
 */
export async function changeDelivery(
  deps: OutboundDeps,
  tenantId: string,
  id: string,
  mutate: (current: DeliveryRecord) => DeliveryRecord | undefined,
  known?: Stored<DeliveryRecord>,
  /** More rows of the partition to write with a change (the attempt log row); new layout only. */
  alongside: readonly TableWrite<DeliveryPartitionRow>[] = [],
): Promise<Stored<DeliveryRecord> | undefined> {
  const pk = dayPartition(tenantId, id);
  // Off only if the old status key was found missing (never by this code's own writes).
  let dropOldKey = true;
  for (let round = 1; round <= CHANGE_ATTEMPTS; round++) {
    const current = round === 1 && known?.etag ? known : await deps.tables.deliveries.get(pk, id);
    if (!current) return undefined;
    if (current.value.keys !== 'row') return changeLegacyDelivery(deps, tenantId, id, mutate, current);
    const next = mutate(current.value);
    if (!next) return current;
    next.updatedAt = new Date(nowMs()).toISOString();
    // Any change of an unfiled row files the key of its status with it.
    const filed = !current.value.unfiled;
    delete next.unfiled;
    try {
      const at = { at: next.updatedAt };
      const moves = statusKeyMoves(id, current.value.status, next.status, at, dropOldKey, filed);
      if (moves.length === 0 && alongside.length === 0)
        return await deps.tables.deliveries.replace(pk, id, next, current.etag!);
      const [stored] = await deps.tables.deliveryRows.transact(pk, [
        { op: 'replace', rowKey: id, value: next, etag: current.etag! },
        ...moves,
        ...alongside,
      ]);
      // A transaction's answer may carry no ETag (Azurite): a caller that writes again reads first.
      return { ...stored!, value: next };
    } catch (error) {
      // 404: the delivery is gone (the next read says so) or its old status key is; 412: it moved.
      if (error instanceof NotFoundError) dropOldKey = false;
      else if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError(`deliveries: ${pk}/${id} kept changing; gave up after ${CHANGE_ATTEMPTS} attempts`);
}

/**
 * Files the status key of a row inserted unfiled (DeliveryRecord `unfiled`): a change that changes
 * nothing else, which changeDelivery files with it. A filed row is left as it is.
 */
export function fileStatusKey(
  deps: OutboundDeps,
  tenantId: string,
  id: string,
  known?: Stored<DeliveryRecord>,
): Promise<Stored<DeliveryRecord> | undefined> {
  return changeDelivery(deps, tenantId, id, (d) => (d.unfiled ? { ...d } : undefined), known);
}

/**
 * The status index rows a change from `from` to `to` writes in its transaction: the new status's
 * key (none for `succeeded`, which is not indexed) and the removal of the old one's (`dropOld`
 * off once a round found it missing). A row that had no key yet (`filed` false, DeliveryRecord
 * `unfiled`) gets its status's key whether the status changes or not, and has none to remove.
 */
export function statusKeyMoves(
  id: string,
  from: DeliveryStatus,
  to: DeliveryStatus,
  at: IndexRecord,
  dropOld = true,
  filed = true,
): TableWrite<DeliveryPartitionRow>[] {
  if (filed && from === to) return [];
  return [
    ...(isIndexedStatus(to) ? [{ op: 'upsert' as const, rowKey: deliveryKeyRowKey('status', to, id), value: at }] : []),
    ...(filed && dropOld && isIndexedStatus(from)
      ? [{ op: 'delete' as const, rowKey: deliveryKeyRowKey('status', from, id) }]
      : []),
  ];
}

/**
 * A delivery written before its index moved into its partition: the row for the new status is
 * written to `deliveryindex` before the change and the old one removed after, so a crash leaves an
 * extra row (readers check the delivery) but never a missing one.
 */
async function changeLegacyDelivery(
  deps: OutboundDeps,
  tenantId: string,
  id: string,
  mutate: (current: DeliveryRecord) => DeliveryRecord | undefined,
  known: Stored<DeliveryRecord>,
): Promise<Stored<DeliveryRecord> | undefined> {
  const day = dayOf(id);
  const written = new Set<DeliveryStatus>();
  let before: DeliveryStatus | undefined;
  const result = await deps.tables.deliveries.update(
    dayPartition(tenantId, id),
    id,
    async (current) => {
      if (!current) return undefined;
      const next = mutate(current);
      if (!next) return undefined;
      before = current.status;
      next.updatedAt = new Date(nowMs()).toISOString();
      if (next.status !== current.status && isIndexedStatus(next.status) && !written.has(next.status)) {
        await deps.tables.index.upsert(indexPartition(tenantId, 'status', next.status, day), id, {
          at: next.updatedAt,
        });
        written.add(next.status);
      }
      return next;
    },
    { current: known },
  );
  if (result && before && before !== result.value.status) {
    await deps.tables.index.delete(indexPartition(tenantId, 'status', before, day), id);
  }
  return result;
}

/** An attempt record as the API shows it (`excerpt`: with the response excerpt, as on one delivery). */
export function attemptView(a: AttemptRecord, excerpt: boolean): AttemptView {
  return {
    n: a.n,
    at: a.at,
    trigger: a.trigger,
    statusCode: a.statusCode ?? null,
    ...attemptCodes(a),
    durationMs: a.durationMs,
    ...(a.error ? { error: a.error } : {}),
    ...(excerpt && a.responseExcerpt !== undefined ? { responseExcerpt: a.responseExcerpt } : {}),
    ...(a.nextAttemptAt ? { nextAttemptAt: a.nextAttemptAt } : {}),
  };
}

/**
 * The list's deliveries with their latest attempt (on the row when it settled the delivery in one
 * write, else one point read each, in parallel), so "what happened to it" is one call; every
 * attempt is on `GET /api/v1/deliveries/{id}`.
 */
async function withLastAttempts(
  deps: OutboundDeps,
  tenantId: string,
  rows: readonly Stored<DeliveryRecord>[],
): Promise<DeliveryView[]> {
  return Promise.all(
    rows.map(async (stored) => {
      const item = deliveryView(stored);
      if (item.attemptCount === 0) return { ...item, lastAttempt: null };
      const onRow = stored.value.settledBy;
      const a =
        onRow?.n === item.attemptCount
          ? onRow
          : // Beside the delivery; an older delivery's log is in `deliveryattempts`.
            ((
              await deps.tables.deliveryLog.get(
                dayPartition(tenantId, item.id),
                attemptLogRowKey(item.id, item.attemptCount),
              )
            )?.value ??
            (await deps.tables.attempts.get(attemptsPartition(tenantId, item.id), attemptRowKey(item.attemptCount)))
              ?.value);
      return { ...item, lastAttempt: a ? attemptView(a, false) : null };
    }),
  );
}

export async function getDelivery(deps: OutboundDeps, tenantId: string, id: string): Promise<DeliveryView> {
  const stored = await readDelivery(deps, tenantId, id);
  if (!stored) throw new ResourceNotFoundError('delivery', id);
  const records: AttemptRecord[] = stored.value.settledBy ? [stored.value.settledBy] : [];
  const rows =
    stored.value.keys === 'row'
      ? deps.tables.deliveryLog.iterate(dayPartition(tenantId, id), { rowKeyPrefix: attemptLogPrefix(id) })
      : deps.tables.attempts.iterate(attemptsPartition(tenantId, id));
  for await (const row of rows) if (row.value.n !== stored.value.settledBy?.n) records.push(row.value);
  const attempts = records.sort((a, b) => a.n - b.n).map((a) => attemptView(a, true));
  return { ...deliveryView(stored), attempts };
}

export interface DeliveryQuery {
  subscriptionId?: string | undefined;
  eventType?: string | undefined;
  status?: DeliveryStatus | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Longest time range one list walks (day partitions). */
export const MAX_LIST_RANGE_DAYS = 92;
const DEFAULT_RANGE_DAYS = 30;
/**
 * Partition pages read per request before answering with a cursor (a page may be short): one per
 * day of the longest range plus refills, so a range with empty days still reaches its end and the
 * last page answers nextCursor null rather than a cursor to nothing.
 */
const MAX_READS_PER_PAGE = 2 * (MAX_LIST_RANGE_DAYS + 1) + 25;

interface ListCursor {
  day: string;
  inner: string | null;
  /**
   * With a filter, each day is read twice: the index rows in the day's `deliveries` partition,
   * then (`legacy`) the day's `deliveryindex` partition, which holds the rows of deliveries written
   * before the index moved. Those are all older than the first new one, so newest first holds.
   */
  legacy?: boolean;
}

/** The list's scope in its cursor MAC: a cursor only pages on the list (tenant, filters, range) it came from. */
function cursorScope(tenantId: string, query: DeliveryQuery): unknown[] {
  const { subscriptionId, eventType, status, from, to } = query;
  return ['deliveries', tenantId, subscriptionId ?? null, eventType ?? null, status ?? null, from ?? null, to ?? null];
}

function decodeListCursor(text: string, scope: readonly unknown[], days: readonly string[]): ListCursor {
  const value = decodeStateCursor(text, scope) as Partial<ListCursor> | null;
  if (
    typeof value?.day === 'string' &&
    days.includes(value.day) &&
    (value.inner === null || typeof value.inner === 'string') &&
    (value.legacy === undefined || typeof value.legacy === 'boolean')
  ) {
    return { day: value.day, inner: value.inner, ...(value.legacy ? { legacy: true } : {}) };
  }
  throw new DomainError('invalid_cursor', 'The cursor does not belong to this list.');
}

function rangeOf(query: DeliveryQuery): { fromMs: number; toMs: number } {
  const toMs = query.to ? Date.parse(query.to) : nowMs();
  const fromMs = query.from ? Date.parse(query.from) : toMs - DEFAULT_RANGE_DAYS * 86_400_000;
  if (!(fromMs <= toMs)) {
    throw new DomainError('validation_failed', '`from` must not be after `to`.', {
      errors: [{ path: 'from', message: 'after to' }],
    });
  }
  if (toMs - fromMs > MAX_LIST_RANGE_DAYS * 86_400_000) {
    throw new DomainError('validation_failed', `The time range is longer than ${MAX_LIST_RANGE_DAYS} days.`, {
      errors: [{ path: 'from', message: `at most ${MAX_LIST_RANGE_DAYS} days before to` }],
    });
  }
  return { fromMs: Math.max(0, fromMs), toMs };
}

/**
 * Deliveries newest first, one day partition after another. The most selective filter picks the
 * partitions (subscription, then status, then event type index; none = the deliveries table), the
 * others are checked on the delivery row itself, so no list ever scans a table.
 */
export async function listDeliveries(
  deps: OutboundDeps,
  tenantId: string,
  query: DeliveryQuery,
): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
  const { fromMs, toMs } = rangeOf(query);
  const days = timeBucketsBetween(fromMs, toMs, 'day');
  // A status without index rows (`succeeded`) is asked of the day's rows as a filter instead.
  const source: { kind: IndexKind; value: string } | undefined = query.subscriptionId
    ? { kind: 'sub', value: query.subscriptionId }
    : query.status && isIndexedStatus(query.status)
      ? { kind: 'status', value: query.status }
      : query.eventType
        ? { kind: 'type', value: query.eventType }
        : undefined;
  const rowFilter = query.status && !source ? odata`status eq ${query.status}` : undefined;
  const scope = cursorScope(tenantId, query);
  let position: ListCursor = query.cursor
    ? decodeListCursor(query.cursor, scope, days)
    : { day: days[0] ?? '', inner: null };
  const items: Stored<DeliveryRecord>[] = [];
  const matches = (d: Stored<DeliveryRecord>) => {
    const v = d.value;
    const t = newestFirstIdTime(d.rowKey);
    return (
      t >= fromMs &&
      t <= toMs &&
      (!query.subscriptionId || v.subscriptionId === query.subscriptionId) &&
      (!query.status || v.status === query.status) &&
      (!query.eventType || v.eventType === query.eventType)
    );
  };
  const page = async (nextCursor: string | null) => ({
    items: await withLastAttempts(deps, tenantId, items),
    nextCursor,
  });
  for (let reads = 0; reads < MAX_READS_PER_PAGE; reads++) {
    // A full page reads one row ahead: the last page answers nextCursor null instead of a cursor
    // to an empty page; partitions and rows that do not match are skipped on the way.
    const full = items.length >= query.limit;
    const before = position;
    const listOptions = {
      limit: full ? 1 : query.limit - items.length,
      ...(position.inner ? { cursor: position.inner } : {}),
    };
    const found: Stored<DeliveryRecord>[] = [];
    let next: string | null;
    if (source && position.legacy) {
      const listed = await deps.tables.index.list(
        indexPartition(tenantId, source.kind, source.value, position.day),
        listOptions,
      );
      const rows = await Promise.all(listed.items.map((row) => readDelivery(deps, tenantId, row.rowKey)));
      for (const row of rows) if (row && matches(row)) found.push(row);
      next = listed.nextCursor;
    } else if (source) {
      const prefix = deliveryKeyPrefix(source.kind, source.value);
      const listed = await deps.tables.deliveryRows.list(tenantPartition(tenantId, position.day), {
        ...listOptions,
        rowKeyPrefix: prefix,
      });
      const rows = await Promise.all(
        listed.items.map((row) => readDelivery(deps, tenantId, row.rowKey.slice(prefix.length))),
      );
      for (const row of rows) if (row && matches(row)) found.push(row);
      next = listed.nextCursor;
    } else {
      // Below `~`: the delivery rows of the day, not their index rows.
      const listed = await deps.tables.deliveries.list(tenantPartition(tenantId, position.day), {
        ...listOptions,
        rowKeyTo: DELIVERY_KEYS_FROM,
        ...(rowFilter ? { filter: rowFilter } : {}),
      });
      for (const row of listed.items) if (matches(row)) found.push(row);
      next = listed.nextCursor;
    }
    if (full && found.length > 0) return page(encodeStateCursor(before, scope));
    if (!full) items.push(...found);
    if (next) {
      position = { ...position, inner: next };
      continue;
    }
    if (source && !position.legacy) {
      position = { day: position.day, inner: null, legacy: true };
      continue;
    }
    const nextDay = days[days.indexOf(position.day) + 1];
    if (!nextDay) return page(null);
    position = { day: nextDay, inner: null };
  }
  return page(encodeStateCursor(position, scope));
}
