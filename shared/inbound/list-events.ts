import { nowMs } from '../clock';
import { DomainError } from '../errors/domain-error';
import type { EventStatus, Stage } from '../events/contract';
import type { EventRecord } from '../events/event-store';
import {
  INDEX_DIMENSIONS,
  type IndexDimension,
  indexPartition,
  isIndexed,
  loadEventRecord,
  tables,
} from '../events/event-store';
import { odata } from '../sdk/data-tables';
import { decodeStateCursor, encodeStateCursor } from '../storage/cursor';
import { newestFirstId, tenantPartition, timeBucketsBetween } from '../storage/keys';
import { maskClientStateInPreview } from './secret-redaction';

/**
 * `GET /api/v1/events` (docs/design.md §6.8): newest first over the day partitions of the time range. With
 * no filter it pages the `events` day partitions themselves; with filters it pages the `eventindex`
 * partition of the most selective indexed one and point-reads each hit, re-checking every filter
 * against the event row (an index row may be stale). Filters with no index rows — a stage, or an
 * in-flight status (`received`, `processing`) — alone walk the range's day partitions with the
 * condition evaluated by the service in each partition. Never a table scan (docs/pipeline.md).
 */
export interface EventFilters {
  status?: EventStatus | undefined;
  source?: string | undefined;
  type?: string | undefined;
  stage?: Stage | undefined;
  errorType?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface EventSummary {
  id: string;
  source: string;
  type: string | null;
  status: EventStatus;
  stage: Stage;
  receivedAt: string;
  trigger: EventRecord['trigger'];
  replayOf: string | null;
  webhookId: string | null;
  integrationId: string | null;
  errorType: string | null;
  /** The ingest filter that dropped the event (status `filtered`), else null. */
  filteredBy: string | null;
  payloadPreview: string;
  payloadBytes: number;
}

export function summaryOf(id: string, r: EventRecord): EventSummary {
  return {
    id,
    source: r.source,
    type: r.type,
    status: r.status,
    stage: r.stage,
    receivedAt: r.receivedAt,
    trigger: r.trigger,
    replayOf: r.replayOf,
    webhookId: r.webhookId,
    integrationId: r.integrationId,
    errorType: r.errorType ?? null,
    filteredBy: r.filteredBy ?? null,
    payloadPreview: maskClientStateInPreview(r.payloadPreview),
    payloadBytes: r.payloadBytes,
  };
}

const DEFAULT_RANGE_MS = 7 * 86_400_000;
const MAX_RANGE_MS = 93 * 86_400_000;
/** The selectivity order in which a filter is chosen to drive the index walk. */
const DRIVING_ORDER: IndexDimension[] = ['errorType', 'type', 'source', 'stage', 'status'];

interface ListCursor {
  /** Day partition the next page starts in. */
  d: string;
  /** The repository cursor inside it. */
  c: string | null;
  /** The range of the first page, kept so a default `to` (now) does not move between pages. */
  f: number;
  t: number;
}

/**
 * Cursors are signed for this tenant and filter set (shared/storage/cursor.ts), so a client cannot
 * edit the day, the range or the inner position, nor reuse a cursor across tenants or filters.
 */
function cursorScope(tenantId: string, filters: EventFilters): unknown[] {
  return [
    'events',
    tenantId,
    ...INDEX_DIMENSIONS.map((d) => filters[d] ?? null),
    filters.from ?? null,
    filters.to ?? null,
  ];
}

function decode(text: string, scope: readonly unknown[]): ListCursor {
  const value = decodeStateCursor(text, scope) as Partial<ListCursor> | null;
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof value.d === 'string' &&
    /^\d{8}$/.test(value.d) &&
    (value.c === null || typeof value.c === 'string') &&
    Number.isFinite(value.f) &&
    Number.isFinite(value.t)
  ) {
    return value as ListCursor;
  }
  throw new DomainError('invalid_cursor', 'The cursor is not valid for this list; start again without one.');
}

/** RowKey bounds of newest-first ids minted in [fromMs, toMs]: their 10 time characters. */
function idBounds(fromMs: number, toMs: number): { rowKeyFrom: string; rowKeyTo: string } {
  return {
    rowKeyFrom: newestFirstId(toMs).slice(0, 10),
    rowKeyTo: newestFirstId(Math.max(0, fromMs - 1)).slice(0, 10),
  };
}

function matches(record: EventRecord, filters: EventFilters): boolean {
  for (const dimension of INDEX_DIMENSIONS) {
    const wanted = filters[dimension];
    if (wanted !== undefined && String(record[dimension] ?? '') !== wanted) return false;
  }
  return true;
}

/** The filters as one OData condition for a walk of a day partition (the service evaluates it there). */
function partitionCondition(filters: EventFilters): string | undefined {
  const parts: string[] = [];
  for (const dimension of INDEX_DIMENSIONS) {
    const wanted = filters[dimension];
    // The property name is ours, not the caller's; only the value goes through odata's quoting.
    if (wanted !== undefined) parts.push(`${dimension} ${odata`eq ${wanted}`}`);
  }
  return parts.length > 0 ? parts.join(' and ') : undefined;
}

export async function listEvents(
  tenantId: string,
  filters: EventFilters,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ items: EventSummary[]; nextCursor: string | null }> {
  const scope = cursorScope(tenantId, filters);
  const encode = (cursor: ListCursor) => encodeStateCursor(cursor, scope);
  const cursor = options.cursor ? decode(options.cursor, scope) : undefined;
  const toMs = cursor?.t ?? (filters.to ? Date.parse(filters.to) : nowMs());
  const fromMs = cursor?.f ?? (filters.from ? Date.parse(filters.from) : toMs - DEFAULT_RANGE_MS);
  if (!(fromMs <= toMs)) throw new DomainError('validation_failed', '`from` must not be later than `to`.');
  if (toMs - fromMs > MAX_RANGE_MS) {
    throw new DomainError('validation_failed', 'A time range covers at most 93 days; narrow `from`/`to`.');
  }
  // Stage and in-flight statuses have no index rows (they move with every stage delivery,
  // docs/decisions.md §84): without an indexed filter beside them, the day partitions are walked.
  // An event not yet validated has no index rows but `status=held`: a `received` one is found by
  // the walk, a `held` one through its status row, whatever else is asked.
  const driving =
    filters.status === 'received'
      ? undefined
      : filters.status === 'held'
        ? 'status'
        : DRIVING_ORDER.find((d) => filters[d] !== undefined && isIndexed(d, String(filters[d])));
  const condition = driving ? undefined : partitionCondition(filters);
  let days = timeBucketsBetween(fromMs, toMs, 'day');
  let inner: string | null = null;
  if (cursor) {
    const at = days.indexOf(cursor.d);
    if (at < 0) throw new DomainError('invalid_cursor', 'The cursor does not belong to this time range.');
    days = days.slice(at);
    inner = cursor.c;
  }
  const bounds = idBounds(fromMs, toMs);
  /** One page of matching events of a day from `at` (a partition cursor), and where it stopped. */
  const read = async (day: string, at: string | null, want: number) => {
    const found: EventSummary[] = [];
    if (driving) {
      const page = await tables().index.list(indexPartition(tenantId, driving, String(filters[driving]), day), {
        ...bounds,
        limit: want,
        cursor: at,
      });
      const rows = await Promise.all(page.items.map((i) => loadEventRecord(tenantId, i.rowKey)));
      rows.forEach((row, i) => {
        if (row && matches(row.record, filters)) found.push(summaryOf(page.items[i]!.rowKey, row.record));
      });
      return { found, next: page.nextCursor };
    }
    const page = await tables().events.list(tenantPartition(tenantId, day), {
      ...bounds,
      limit: want,
      cursor: at,
      ...(condition ? { filter: condition } : {}),
    });
    for (const row of page.items) if (matches(row.value, filters)) found.push(summaryOf(row.rowKey, row.value));
    return { found, next: page.nextCursor };
  };
  /**
   * A full page's cursor, or null when nothing matching follows: reads one row ahead, so the
   * last page never hands out a cursor to an empty one (docs/api.md, "Lists").
   */
  const cursorAfter = async (n: number, at: string | null): Promise<string | null> => {
    for (let i = n; i < days.length; i++) {
      const day = days[i]!;
      let position = i === n ? at : null;
      for (;;) {
        const { found, next } = await read(day, position, 1);
        if (found.length > 0) return encode({ d: day, c: position, f: fromMs, t: toMs });
        if (!next) break;
        position = next;
      }
    }
    return null;
  };
  const items: EventSummary[] = [];
  for (const [n, day] of days.entries()) {
    while (items.length < options.limit) {
      const { found, next } = await read(day, inner, options.limit - items.length);
      items.push(...found);
      inner = next;
      if (!inner) break;
      if (items.length >= options.limit) return { items, nextCursor: await cursorAfter(n, inner) };
    }
    inner = null;
    if (items.length >= options.limit) return { items, nextCursor: await cursorAfter(n + 1, null) };
  }
  return { items, nextCursor: null };
}
