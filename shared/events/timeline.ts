import { AlreadyExistsError, ConflictError } from '../storage/errors';
import { escapeKey, tenantPartition } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import type { Stage } from './contract';
import {
  EventMissingError,
  type EventPatch,
  eventPartition,
  patchedEvent,
  reindexEvent,
  type StoredEvent,
  tables,
} from './event-store';
import { type EventRecord, type StageRecord, TIMELINE_ROW_PREFIX } from './tables';

export type { StageRecord };

/**
 * The event's timeline: one row per stage attempt, keyed by what the attempt is (stage, step,
 * attempt), so the row doubles as the idempotency record of docs/design.md §6.5. The rows live in
 * the event's own `events` partition (docs/decisions.md §84), so the stage runner writes a stage's
 * outcome and the event's move in one entity-group transaction; events stored before that keep
 * theirs in `eventstages`, which is still read (and purged) for them.
 */
export function timelinePartition(tenantId: string, eventId: string): string {
  return tenantPartition(tenantId, eventId);
}

export function stageRowKey(stage: Stage, step: string, attempt: number): string {
  return `${stage}|${escapeKey(step)}|${String(attempt).padStart(2, '0')}`;
}

/** The event's `events` partition; undefined for an id that is not an event id (nothing found). */
function partitionOf(tenantId: string, eventId: string): string | undefined {
  try {
    return eventPartition(tenantId, eventId);
  } catch {
    return undefined;
  }
}

/** Where one attempt's row sits in the event's `events` partition. */
export function timelineRowKey(eventId: string, stage: Stage, step: string, attempt: number): string {
  return `${TIMELINE_ROW_PREFIX}${eventId}|${stageRowKey(stage, step, attempt)}`;
}

/** Every timeline row of the event in its `events` partition start with this. */
export function timelineRowPrefix(eventId: string): string {
  return `${TIMELINE_ROW_PREFIX}${eventId}|`;
}

/**
 * The attempt's recorded outcome. `legacy`: also look in `eventstages` when the event's partition
 * has none — for events stored before the timeline moved (the runner knows from the event row;
 * callers that do not know leave it on).
 */
export async function loadStageRecord(
  tenantId: string,
  eventId: string,
  stage: Stage,
  step: string,
  attempt: number,
  legacy = true,
): Promise<StageRecord | undefined> {
  const pk = partitionOf(tenantId, eventId);
  const row = pk ? await tables().timeline.get(pk, timelineRowKey(eventId, stage, step, attempt)) : undefined;
  if (row || !legacy) return row?.value;
  const old = await tables().stages.get(timelinePartition(tenantId, eventId), stageRowKey(stage, step, attempt));
  return old?.value;
}

/**
 * Writes the attempt's row once; a concurrent or earlier writer of the same attempt keeps the first
 * outcome, which is returned. One conditional insert; the row is read only after a conflict.
 */
export async function recordStage(tenantId: string, eventId: string, record: StageRecord): Promise<StageRecord> {
  const pk = eventPartition(tenantId, eventId);
  const rk = timelineRowKey(eventId, record.stage, record.step, record.attempt);
  try {
    return (await tables().timeline.insert(pk, rk, record)).value;
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
  }
  const stored = await tables().timeline.update(pk, rk, (current) => (current ? undefined : record));
  return stored?.value ?? record;
}

/** ETag rounds of the move-and-record transaction (N concurrent writers of one event need N). */
const MOVE_ATTEMPTS = 20;

/**
 * A stage's outcome and the event's move in one entity-group transaction (docs/pipeline.md, "The
 * stage runner"): the event row replaced under its ETag with `patch` applied (the rules of
 * updateEvent: a finished event keeps its status, stage and error type) and the attempt's timeline
 * row inserted. Either both are stored or neither:
 *
 * - the event changed since `known` was read (412): read it again and retry;
 * - the attempt's row exists (409): another copy recorded first (and moved the event in its own
 *   transaction); nothing of ours is written and its outcome is returned for the caller to apply.
 */
export async function recordStageWithMove(
  tenantId: string,
  eventId: string,
  record: StageRecord,
  patch: EventPatch,
  known: StoredEvent,
): Promise<StageRecord> {
  const pk = eventPartition(tenantId, eventId);
  const rk = timelineRowKey(eventId, record.stage, record.step, record.attempt);
  let current: StoredEvent | undefined = known;
  for (let round = 1; round <= MOVE_ATTEMPTS; round++) {
    if (!current) {
      const row = await tables().events.get(pk, eventId);
      if (!row) throw new EventMissingError(`event ${eventId} does not exist`);
      current = { record: row.value, etag: row.etag };
    }
    const next = patchedEvent(current.record, patch);
    try {
      await tables().eventLog.transact(pk, [
        { op: 'replace', rowKey: eventId, value: next, etag: current.etag },
        { op: 'insert', rowKey: rk, value: record },
      ]);
      await reindexEvent(tenantId, eventId, current.record, next);
      return record;
    } catch (error) {
      if (error instanceof AlreadyExistsError) {
        const stored = await tables().timeline.get(pk, rk);
        if (stored) return stored.value;
        // Gone again (only a purge deletes timeline rows): try once more from a fresh read.
      } else if (!(error instanceof ConflictError)) {
        throw error;
      }
      current = undefined;
    }
  }
  throw new ConflictError(`events: ${pk}/${eventId} kept changing; gave up after ${MOVE_ATTEMPTS}`);
}

export interface TimelineEntry {
  stage: Stage;
  step: string;
  attempt: number;
  outcome: StageRecord['outcome'];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  detail?: string;
  errorType?: string;
  message?: string;
}

/**
 * Every recorded attempt of the event, oldest first: the rows in its `events` partition (a RowKey
 * range) and, for an event stored before the timeline moved, those in `eventstages`.
 */
export async function loadTimeline(tenantId: string, eventId: string): Promise<TimelineEntry[]> {
  const rows: Array<Stored<StageRecord>> = [];
  const reads = [
    (async () => {
      const pk = partitionOf(tenantId, eventId);
      if (!pk) return;
      for await (const row of tables().timeline.iterate(pk, { rowKeyPrefix: timelineRowPrefix(eventId) })) {
        rows.push(row);
      }
    })(),
    (async () => {
      for await (const row of tables().stages.iterate(timelinePartition(tenantId, eventId))) rows.push(row);
    })(),
  ];
  await Promise.all(reads);
  return rows
    .map(({ value: r }) => ({
      stage: r.stage,
      step: r.step,
      attempt: r.attempt,
      outcome: r.outcome,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      durationMs: r.durationMs,
      ...(r.detail !== undefined ? { detail: r.detail } : {}),
      ...(r.errorType !== undefined ? { errorType: r.errorType } : {}),
      ...(r.message !== undefined ? { message: r.message } : {}),
    }))
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.finishedAt.localeCompare(b.finishedAt));
}

/** Whether the event row says its timeline is in its partition (else `eventstages` may hold some). */
export function timelineInPartition(record: EventRecord): boolean {
  return record.timelineInPartition === true;
}
