import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';
import { EVENT_STATUSES, EVENT_TRIGGERS, STAGES } from './contract';

/**
 * The event log's tables (docs/pipeline.md, "Tables"): the event, its timeline, its dedup and index
 * rows and the days that hold them. Only shared/events imports them; inbound, the pipeline, the
 * Failure Analysis and replay go through events/event-store.ts and events/timeline.ts.
 */

/**
 * `events`: PartitionKey = `tenant|YYYYMMDD` of the event id's time, RowKey = event id (a
 * newest-first id). The id alone locates the row, so every get is a point read, and a day's events
 * list newest first without a sort.
 */
export const eventRecordSchema = z.object({
  source: z.string(),
  webhookId: z.string().nullable(),
  integrationId: z.string().nullable(),
  type: z.string().nullable(),
  status: z.enum(EVENT_STATUSES),
  stage: z.enum(STAGES),
  receivedAt: z.string(),
  updatedAt: z.string(),
  trigger: z.enum(EVENT_TRIGGERS),
  replayOf: z.string().nullable(),
  rootEventId: z.string(),
  sopId: z.string().nullable(),
  agentRunId: z.string().nullable(),
  correlationId: z.string(),
  /** The vendor's event id as deduplicated (source-specific), or null when the sender gave none. */
  dedupKey: z.string().nullable(),
  /** The body as received when it is at most INLINE_PAYLOAD_BYTES; otherwise `payloadBlob` names it. */
  payloadText: z.string().optional(),
  payloadBlob: z.string().optional(),
  payloadBytes: z.number().int().nonnegative(),
  /** The first few hundred characters of the body, for lists. */
  payloadPreview: z.string(),
  /** Set once the payload (text or blob, preview, normalised event) was erased; the rest stays (shared/payload-erasure). */
  payloadErasedAt: z.string().optional(),
  /** NormalizedEvent JSON, written by the validation stage. */
  normalized: z.string().optional(),
  /** Set when the event failed: the stage and error type (the Failure Analysis holds the rest). */
  errorType: z.string().optional(),
  /** Set when an ingest filter of the webhook dropped the event: the rule's name. */
  filteredBy: z.string().optional(),
  /** Whether `eventindex` has rows for this event yet (receive writes none; the first update does). */
  indexed: z.boolean().optional(),
  /**
   * The event's timeline rows live in its own partition of `events` (set at receive since
   * docs/decisions.md §84). Absent on older events, whose rows are in `eventstages`.
   */
  timelineInPartition: z.boolean().optional(),
});
export type EventRecord = z.infer<typeof eventRecordSchema>;

/**
 * The timeline: one row per stage attempt. Since docs/decisions.md §84 in the event's own partition
 * of `events` (PartitionKey `tenant|YYYYMMDD`, RowKey `~t|<eventId>|stage|step|attempt`), so a
 * stage's outcome and the event's move are one entity-group transaction; `~` sorts after every
 * event id, so walks of event rows stop below it (EVENT_ROWS_ONLY). Events stored before then keep
 * theirs in `eventstages` (PartitionKey = `tenant|eventId`, RowKey = `stage|step|attempt`), still
 * read and purged there. Attempt two digits. One row per stage attempt, written once its outcome is known; a redelivered
 * message finds its row and re-applies the recorded effect instead of doing the work again (docs/design.md §6.5).
 */
export const stageRecordSchema = z.object({
  stage: z.enum(STAGES),
  step: z.string(),
  attempt: z.number().int().nonnegative(),
  /** succeeded: went on to `next`; done: finished the event or the step; retrying; failed (dead-lettered). */
  outcome: z.enum(['succeeded', 'done', 'retrying', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number().nonnegative(),
  detail: z.string().optional(),
  errorType: z.string().optional(),
  message: z.string().optional(),
  /** The status a `done` outcome set. */
  status: z.string().optional(),
  /** JSON: the messages a `succeeded` outcome sent, re-sent as they are on redelivery. */
  next: z.string().optional(),
  /** JSON: the application properties the outcome added (vendor status, closest SOP …). */
  properties: z.string().optional(),
});
export type StageRecord = z.infer<typeof stageRecordSchema>;

/**
 * `eventdedup`: PartitionKey = `tenant|dedup|shard`, RowKey = SHA-256 of `webhookId|vendor event id`.
 * The conditional insert here is what makes a duplicate delivery a no-op (docs/design.md §4, §6.9).
 */
export const dedupRecordSchema = z.object({ eventId: z.string(), receivedAt: z.string() });
export type DedupRecord = z.infer<typeof dedupRecordSchema>;

/**
 * `eventindex`: PartitionKey = `tenant|dimension|value|YYYYMMDD`, RowKey = event id. One row per
 * filter value an event has had (status, source, type, stage, errorType). Rows are added when the
 * value changes and the stale one is deleted; readers re-check each hit against the event row, so a
 * row left behind by a crash is never shown under the wrong filter (docs/pipeline.md).
 */
export const indexRecordSchema = z.object({ at: z.string() });
export type IndexRecord = z.infer<typeof indexRecordSchema>;

/**
 * `eventdays`: which tenant-days hold inbound rows (events, rejections), across tenants.
 * PartitionKey = `YYYYMMDD`, RowKey = tenant id (escaped). Retention and the stuck-event sweep walk
 * the days they care about here instead of scanning `events` (docs/pipeline.md, "Housekeeping").
 * Written before the first row of a tenant-day, at most once per instance per tenant-day.
 */
export const eventDaySchema = z.object({ at: z.string() });
export type EventDay = z.infer<typeof eventDaySchema>;

/** Where timeline rows start in an `events` partition: every event id sorts before it. */
export const TIMELINE_ROW_PREFIX = '~t|';

/** A walk of a day's event rows only (the timeline rows beside them sort after `~`). */
export const EVENT_ROWS_ONLY = { rowKeyTo: '~' } as const;

export interface EventTables {
  events: TableRepository<EventRecord>;
  /** The timeline rows inside `events` partitions. */
  timeline: TableRepository<StageRecord>;
  /** Either kind of `events` row, for the transaction that moves an event and records its stage. */
  eventLog: TableRepository<EventRecord | StageRecord>;
  days: TableRepository<EventDay>;
  /** The timeline of events stored before it moved into `events` (read and purged, no longer written). */
  stages: TableRepository<StageRecord>;
  dedup: TableRepository<DedupRecord>;
  index: TableRepository<IndexRecord>;
}

let cached: { account: StorageAccount; tables: EventTables } | undefined;

export function eventTables(account: StorageAccount): EventTables {
  if (cached?.account === account) return cached.tables;
  const tables: EventTables = {
    events: new TableRepository(account, 'events', eventRecordSchema),
    timeline: new TableRepository(account, 'events', stageRecordSchema),
    eventLog: new TableRepository<EventRecord | StageRecord>(
      account,
      'events',
      z.union([eventRecordSchema, stageRecordSchema]),
    ),
    days: new TableRepository(account, 'eventdays', eventDaySchema),
    stages: new TableRepository(account, 'eventstages', stageRecordSchema),
    dedup: new TableRepository(account, 'eventdedup', dedupRecordSchema),
    index: new TableRepository(account, 'eventindex', indexRecordSchema),
  };
  cached = { account, tables };
  return tables;
}
