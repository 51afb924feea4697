import { AlreadyExistsError } from '../storage/errors';
import { escapeKey, tenantPartition } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import type { Stage } from './contract';
import { tables } from './event-store';
import type { StageRecord } from './tables';

export type { StageRecord };

/**
 * The event's timeline in `eventstages`: one row per stage attempt, keyed by what the attempt is
 * (stage, step, attempt), so the row doubles as the idempotency record of docs/design.md §6.5.
 */
export function timelinePartition(tenantId: string, eventId: string): string {
  return tenantPartition(tenantId, eventId);
}

export function stageRowKey(stage: Stage, step: string, attempt: number): string {
  return `${stage}|${escapeKey(step)}|${String(attempt).padStart(2, '0')}`;
}

export async function loadStageRecord(
  tenantId: string,
  eventId: string,
  stage: Stage,
  step: string,
  attempt: number,
): Promise<StageRecord | undefined> {
  const row = await tables().stages.get(timelinePartition(tenantId, eventId), stageRowKey(stage, step, attempt));
  return row?.value;
}

/**
 * Writes the attempt's row once; a concurrent or earlier writer of the same attempt keeps the first
 * outcome, which is returned. One conditional insert; the row is read only after a conflict.
 */
export async function recordStage(tenantId: string, eventId: string, record: StageRecord): Promise<StageRecord> {
  const pk = timelinePartition(tenantId, eventId);
  const rk = stageRowKey(record.stage, record.step, record.attempt);
  try {
    return (await tables().stages.insert(pk, rk, record)).value;
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
  }
  const stored = await tables().stages.update(pk, rk, (current) => (current ? undefined : record));
  return stored?.value ?? record;
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

/** Every recorded attempt of the event, oldest first (an event has a handful, read in one partition). */
export async function loadTimeline(tenantId: string, eventId: string): Promise<TimelineEntry[]> {
  const rows: Array<Stored<StageRecord>> = [];
  for await (const row of tables().stages.iterate(timelinePartition(tenantId, eventId))) rows.push(row);
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
