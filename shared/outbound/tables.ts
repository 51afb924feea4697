import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { newestFirstIdTime, shardOf, tenantPartition, timeBucket } from '../storage/keys';
import { TableRepository } from '../storage/table-repository';
import { CachedPartitions } from './cached-partitions';

/**
 * The outbound capability's tables (docs/design.md §4). Nothing here holds a plaintext secret: signing
 * secrets are Fernet tokens under the credential key ring (shared/crypto), opened by the attempt
 * activity at call time and never put into Durable inputs, outputs or history (docs/design.md §10.2).
 */

/** `subscriptions`: PartitionKey = tenant id, RowKey = subscription id (newest first). */
export const subscriptionRecordSchema = z.object({
  url: z.string(),
  eventTypes: z.array(z.string()),
  /** Event sources (vendor ids) the subscription wants; empty = every source. */
  products: z.array(z.string()),
  enabled: z.boolean(),
  description: z.string(),
  headers: z.record(z.string(), z.string()),
  encryptedSecret: z.string(),
  /** The secret before the last rotation, still signed with until `previousSecretExpiresAt`. */
  encryptedPreviousSecret: z.string().optional(),
  previousSecretExpiresAt: z.string().optional(),
  disabledReason: z.string().optional(),
  disabledAt: z.string().optional(),
  /**
   * Paused by an administrator: new deliveries are stored `held` (not `skipped`) and sent, oldest
   * first, when it is resumed (pause.ts). Unlike a disable, nothing is lost.
   */
  paused: z.boolean().optional(),
  pausedAt: z.string().optional(),
  /** Resumed, its held deliveries still being released: `paused` stays set until none remain (pause.ts). */
  resuming: z.boolean().optional(),
  /** First attempts beyond this many per second wait their turn (throttle.ts); absent = no limit. */
  rateLimitPerSecond: z.number().int().positive().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
  secretRotatedAt: z.string(),
});
export type SubscriptionRecord = z.infer<typeof subscriptionRecordSchema>;

/**
 * `subscriptionhealth`: PartitionKey = tenant id, RowKey = subscription id: the current failure
 * streak. Attempt and success counts live in the analytics counters (one increment per attempt,
 * sharded), so a busy endpoint's successes are one unconditional write each, never a hot row that
 * concurrent attempts fight over.
 */
export const endpointHealthRecordSchema = z.object({
  consecutiveFailures: z.number().int().nonnegative(),
  lastSuccessAt: z.string().optional(),
  /** First failure after the last success: the start of the current failure streak. */
  failingSince: z.string().optional(),
  lastFailureAt: z.string().optional(),
  lastStatusCode: z.number().int().optional(),
  lastError: z.string().optional(),
  /** A 429 with Retry-After: no first attempt of the subscription is sent before this (throttle.ts). */
  slowUntil: z.string().optional(),
});
export type EndpointHealthRecord = z.infer<typeof endpointHealthRecordSchema>;

/** `outboundevents`: PartitionKey = `tenant|day`, RowKey = event id (newest first). */
export const eventRecordSchema = z.object({
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
  source: z.string(),
  publishedAt: z.string(),
  deliveries: z.number().int().nonnegative(),
  /** Set when the payload was erased (`data` is then empty; delivery-payloads.ts). */
  payloadErasedAt: z.string().optional(),
});
export type OutboundEventRecord = z.infer<typeof eventRecordSchema>;

/** `held`: published while its subscription was paused; released (to `pending`) on resume. */
export const DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'failed', 'skipped', 'held'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const ATTEMPT_TRIGGERS = ['initial', 'automatic', 'manual'] as const;
export type AttemptTrigger = (typeof ATTEMPT_TRIGGERS)[number];

/** What the orchestration needs to know about an automatic attempt (kept for an idempotent re-run). */
export const automaticOutcomeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('succeeded') }),
  z.object({ kind: z.literal('retry'), retryAfterMs: z.number().int().nonnegative().optional() }),
  z.object({ kind: z.literal('failed') }),
  z.object({ kind: z.literal('gone') }),
  z.object({ kind: z.literal('stopped'), reason: z.string() }),
]);
export type AutomaticOutcome = z.infer<typeof automaticOutcomeSchema>;

/** `deliveryattempts`: PartitionKey = `tenant|delivery id`, RowKey = attempt number, zero-padded. */
export const attemptRecordSchema = z.object({
  n: z.number().int().positive(),
  at: z.string(),
  trigger: z.enum(ATTEMPT_TRIGGERS),
  statusCode: z.number().int().optional(),
  /** The HTTP status or network failure code it was counted under (rows before it: derived). */
  code: z.string().optional(),
  durationMs: z.number().int().nonnegative(),
  error: z.string().optional(),
  responseExcerpt: z.string().optional(),
  nextAttemptAt: z.string().optional(),
});
export type AttemptRecord = z.infer<typeof attemptRecordSchema>;

/**
 * `deliveries`: PartitionKey = `tenant|day of the delivery id`, RowKey = delivery id (newest
 * first). The day is recoverable from the id, so a point read needs nothing but the id.
 */
export const deliveryRecordSchema = z.object({
  subscriptionId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Every attempt, manual ones included: the next attempt's number is this + 1. */
  attemptCount: z.number().int().nonnegative(),
  /** Automatic attempts (initial + scheduled) done; at most five. */
  automaticAttempts: z.number().int().nonnegative(),
  lastAutomaticOutcome: automaticOutcomeSchema.optional(),
  /** Attempt number of the last automatic attempt (its log row gets the next attempt time). */
  lastAutomaticN: z.number().int().optional(),
  nextAttemptAt: z.string().optional(),
  /** The attempt being sent now; a lease, so a crashed sender does not block the delivery forever. */
  inFlight: z.object({ n: z.number().int(), trigger: z.enum(ATTEMPT_TRIGGERS), untilMs: z.number() }).optional(),
  statusReason: z.string().optional(),
  /**
   * The bytes every attempt POSTs, kept on the row when small (publish.ts, EMBEDDED_BODY_BYTES):
   * an attempt then reads the delivery and not the event as well. Without it the attempt builds
   * the body from the `outboundevents` row.
   */
  eventBody: z.string().optional(),
  /**
   * `row`: the delivery's index rows sit beside it in its own partition (`deliveryKeyRowKey`), so
   * the row and its index change in one entity-group transaction. Rows written before that change
   * have no flag and keep their index in `deliveryindex`.
   */
  keys: z.literal('row').optional(),
  /** Set when the payload was erased: `eventBody` is gone and no attempt is sent (delivery-payloads.ts). */
  payloadErasedAt: z.string().optional(),
  /** Times its first attempt waited for the subscription's rate limit or a 429 (throttle.ts). */
  throttled: z.number().int().nonnegative().optional(),
  /** A throttled first attempt's message becomes visible then: the start sweep leaves it until then. */
  waitingUntil: z.string().optional(),
  /** The recover task that re-sent it (recover.ts): a task re-sends a delivery once. */
  recoveredBy: z.string().optional(),
  /**
   * The start sweep started (or found) its orchestration: later sweeps leave it alone (sweep.ts).
   * A delivery settled by its first attempt never has it.
   */
  orchestrated: z.literal(true).optional(),
  /**
   * The first attempt that settled the delivery `succeeded` (first-attempt.ts): its log record,
   * kept on the row in the write of the outcome instead of a log row beside it.
   */
  settledBy: attemptRecordSchema.optional(),
  /**
   * No status index row yet: inserted `pending` for an attempt in the publishing process, whose
   * success settles it in one write of this row (`succeeded` has no index row). Any other change
   * files the key of its status (changeDelivery) before the delivery waits on a queue; until then
   * the repeated keyed publication, not the start sweep, is its way back after a crash (publish.ts).
   */
  unfiled: z.literal(true).optional(),
});
export type DeliveryRecord = z.infer<typeof deliveryRecordSchema>;

/**
 * Statuses with index rows. `succeeded`, most of every day's deliveries, has none: a list of them
 * reads the day's delivery rows with the status as a filter (deliveries.ts), which nearly every row
 * passes, and a delivery settles without moving a key.
 */
export function isIndexedStatus(status: DeliveryStatus): boolean {
  return status !== 'succeeded';
}

/**
 * `deliveryindex`: PartitionKey = `tenant|<kind>:<value>|day`, RowKey = delivery id. One row per
 * delivery under its subscription, its event type and its current status, so each list filter is
 * a partition read. A status row is written before the delivery changes and the old one removed
 * after, so a crash leaves an extra row (readers check the delivery) but never a missing one.
 */
export const indexRecordSchema = z.object({ at: z.string() });
export type IndexRecord = z.infer<typeof indexRecordSchema>;

export type IndexKind = 'sub' | 'type' | 'status';

/**
 * Index rows in the delivery's own `deliveries` partition (`tenant|day`): RowKey
 * `~<kind>:<value>|<delivery id>`. `~` sorts after every delivery id (Crockford base 32), so the
 * deliveries of a day are the RowKeys below it and each filter is a RowKey prefix, newest first.
 */
export const DELIVERY_KEYS_FROM = '~';

export function deliveryKeyPrefix(kind: IndexKind, value: string): string {
  return `${DELIVERY_KEYS_FROM}${kind}:${value}|`;
}

export function deliveryKeyRowKey(kind: IndexKind, value: string, deliveryId: string): string {
  return deliveryKeyPrefix(kind, value) + deliveryId;
}

/**
 * The attempt log of a delivery with its index beside it: RowKey `~att|<delivery id>|<n, 4 digits>`
 * in the delivery's partition, written in the transaction that records the attempt's outcome.
 */
export function attemptLogPrefix(deliveryId: string): string {
  return `${DELIVERY_KEYS_FROM}att|${deliveryId}|`;
}

export function attemptLogRowKey(deliveryId: string, n: number): string {
  return attemptLogPrefix(deliveryId) + attemptRowKey(n);
}

/** A delivery row, one of its index rows or attempts: what one transaction on a `deliveries` partition writes. */
export type DeliveryPartitionRow = DeliveryRecord | AttemptRecord | IndexRecord;

/**
 * `deliverystarts`: deliveries whose orchestration has not been seen started, across tenants.
 * PartitionKey = shard of the event id (`s0`…; an event's markers share one, written as one
 * transaction — rows from before that change sit under their delivery id's shard), RowKey = `<created ms, 13 digits>|<tenant>|<id>`,
 * so the sweep asks each shard for rows older than its grace period, oldest first, and nothing
 * else (docs/outbound.md, "Housekeeping"). Written before the delivery row, removed once the start
 * is confirmed; the per-tenant status index cannot serve the sweep without a list of tenants.
 */
export const startMarkerSchema = z.object({ tenantId: z.string(), deliveryId: z.string() });
export type StartMarker = z.infer<typeof startMarkerSchema>;

/**
 * `deliverydays`: what retention purges, across tenants. PartitionKey = `<day>|<shard>` of the
 * event id (an event's row and its deliveries' rows share it and are written as one transaction;
 * the purge deletes a row under the partition it found it in), RowKey = `<tenant>|d|<delivery id>`
 * or `<tenant>|e|<event id>` (rows written before the tenant-day rows), and `<tenant>|t|<day>` in the
 * partition of the tenant's shard (tenantDayPartition): one row per tenant and day. Removed last
 * when what it names is purged.
 */
export const retentionRowSchema = z.object({ at: z.string() });
export type RetentionRow = z.infer<typeof retentionRowSchema>;

/**
 * `outboundtasks`: PartitionKey = tenant id, RowKey = `release|<subscription id>`: the release of a
 * resumed subscription's held deliveries (pause.ts), one row per subscription, so a second resume
 * while one runs finds it. `day` is where the walk stands (held deliveries are found by their
 * status index, day by day, oldest first); the counts are its progress.
 */
export const releaseTaskSchema = z.object({
  taskId: z.string(),
  state: z.enum(['running', 'done', 'interrupted']),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  /** The first day partition that may still hold a held delivery of the subscription. */
  day: z.string(),
  released: z.number().int().nonnegative(),
  /** Of those, how many ended their first attempt settled `succeeded`. */
  succeeded: z.number().int().nonnegative(),
  actorKeyId: z.string(),
  /** A throttled release's next message is due then: not taken for dead before it (pause.ts). */
  dueAt: z.string().optional(),
});
export type ReleaseTask = z.infer<typeof releaseTaskSchema>;

/**
 * `outboundtasks`, RowKey = `recover|<subscription id>`: the last recover of the subscription's
 * failed deliveries in a window (recover.ts). One row per subscription: a recover running and
 * heard from recently refuses a second (409 `recover_in_flight`).
 */
export const recoverTaskSchema = z.object({
  taskId: z.string(),
  state: z.enum(['running', 'done', 'interrupted']),
  since: z.string(),
  until: z.string(),
  /** The delivery list's cursor of the next page (null: from the start). */
  cursor: z.string().nullable(),
  resent: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  /** Failed deliveries passed over: another attempt in flight, or already re-sent by this task. */
  skipped: z.number().int().nonnegative(),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  reason: z.string().optional(),
  actorKeyId: z.string(),
});
export type RecoverTask = z.infer<typeof recoverTaskSchema>;

export function recoverTaskRowKey(subscriptionId: string): string {
  return `recover|${subscriptionId}`;
}

export function releaseTaskRowKey(subscriptionId: string): string {
  return `release|${subscriptionId}`;
}

/**
 * `outboundreleases`, across tenants: PartitionKey `running`, RowKey `<tenant>|<subscription id>`,
 * one row while a subscription's release runs (pause.ts), so the start sweep finds a release that
 * died without reading every tenant's tasks; the release deletes it when it ends.
 */
export const releaseIndexSchema = z.object({ tenantId: z.string(), subscriptionId: z.string() });
export type ReleaseIndexRow = z.infer<typeof releaseIndexSchema>;

/** Shards of the two cross-tenant tables: spreads a busy day over partitions; readers fan out. */
export const HOUSEKEEPING_SHARDS = 8;

export interface OutboundTables {
  /** Cached per instance for a few seconds (cached-partitions.ts): publish lists it every time. */
  subscriptions: CachedPartitions<SubscriptionRecord>;
  /** The first-attempt worker's throttle check reads `slowUntil` through the same cache. */
  health: CachedPartitions<EndpointHealthRecord>;
  events: TableRepository<OutboundEventRecord>;
  deliveries: TableRepository<DeliveryRecord>;
  /** The same table, for transactions and reads that mix delivery rows and their index rows. */
  deliveryRows: TableRepository<DeliveryPartitionRow>;
  /** The same table, for a delivery's attempt log beside it (`attemptLogRowKey`). */
  deliveryLog: TableRepository<AttemptRecord>;
  attempts: TableRepository<AttemptRecord>;
  index: TableRepository<IndexRecord>;
  starts: TableRepository<StartMarker>;
  days: TableRepository<RetentionRow>;
  tasks: TableRepository<ReleaseTask>;
  /** The same table: recover tasks (`recover|…` rows). */
  recoveries: TableRepository<RecoverTask>;
  /** Releases running now, across tenants (the start sweep restarts one that died). */
  releases: TableRepository<ReleaseIndexRow>;
}

export function outboundTables(account: StorageAccount): OutboundTables {
  return {
    subscriptions: new CachedPartitions(account, 'subscriptions', subscriptionRecordSchema),
    health: new CachedPartitions(account, 'subscriptionhealth', endpointHealthRecordSchema),
    events: new TableRepository(account, 'outboundevents', eventRecordSchema),
    deliveries: new TableRepository(account, 'deliveries', deliveryRecordSchema),
    deliveryRows: new TableRepository<DeliveryPartitionRow>(
      account,
      'deliveries',
      // Attempt before index: an attempt row also has an `at`.
      z.union([deliveryRecordSchema, attemptRecordSchema, indexRecordSchema]),
    ),
    deliveryLog: new TableRepository(account, 'deliveries', attemptRecordSchema),
    attempts: new TableRepository(account, 'deliveryattempts', attemptRecordSchema),
    index: new TableRepository(account, 'deliveryindex', indexRecordSchema),
    starts: new TableRepository(account, 'deliverystarts', startMarkerSchema),
    days: new TableRepository(account, 'deliverydays', retentionRowSchema),
    tasks: new TableRepository(account, 'outboundtasks', releaseTaskSchema),
    recoveries: new TableRepository(account, 'outboundtasks', recoverTaskSchema),
    releases: new TableRepository(account, 'outboundreleases', releaseIndexSchema),
  };
}

/** The day partition of a newest-first id (event or delivery). */
export function dayOf(id: string): string {
  return timeBucket(newestFirstIdTime(id), 'day');
}

export function dayPartition(tenantId: string, id: string): string {
  return tenantPartition(tenantId, dayOf(id));
}

export function indexPartition(tenantId: string, kind: IndexKind, value: string, day: string): string {
  return tenantPartition(tenantId, `${kind}:${value}`, day);
}

export function attemptsPartition(tenantId: string, deliveryId: string): string {
  return tenantPartition(tenantId, deliveryId);
}

export function attemptRowKey(n: number): string {
  return String(n).padStart(4, '0');
}

/** The start-marker partition of a publication: the shard of its event id. */
export function startMarkerPartition(eventId: string): string {
  return `s${shardOf(eventId, HOUSEKEEPING_SHARDS)}`;
}

/** Sorts by the id's minting time; `startMarkerRowKeyBefore(ms)` bounds the rows minted before `ms`. */
export function startMarkerRowKey(tenantId: string, deliveryId: string): string {
  return `${startMarkerRowKeyBefore(newestFirstIdTime(deliveryId))}|${tenantPartition(tenantId, deliveryId)}`;
}

export function startMarkerRowKeyBefore(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(13, '0');
}

export function retentionPartition(day: string, shard: number): string {
  return `${day}|${shard}`;
}

export function retentionRowKey(tenantId: string, kind: 'd' | 'e' | 't', id: string): string {
  return tenantPartition(tenantId, kind, id);
}

/**
 * The tenant-day row (`<tenant>|t|<day>`, in partition `<day>|<shard of the tenant>`): the tenant
 * published on that day. Retention purges the tenant's partitions of the day through it, and the
 * start sweep finds the tenants whose deliveries may still wait. Written once per instance per
 * tenant and day (retention.ts, noteTenantDay), before the day's first delivery rows.
 */
export function tenantDayPartition(tenantId: string, day: string): string {
  return retentionPartition(day, shardOf(tenantId, HOUSEKEEPING_SHARDS));
}
