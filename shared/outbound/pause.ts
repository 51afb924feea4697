import { z } from 'zod';
import type { Principal } from '../apikeys/principal';
import { recordAudit } from '../audit/audit-log';
import { type BusSender, complete, type ReceivedMessage, type Settlement } from '../bus/port';
import { nowMs } from '../clock';
import { ResourceNotFoundError } from '../errors/domain-error';
import { crashPoint } from '../faults/crash-points';
import { errorFields, logger } from '../observability/logger';
import { newestFirstId, tenantPartition, timeBucket, timeBucketsBetween } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import { runAutomaticAttempt } from './attempt';
import { changeDelivery, readDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import { FIRST_ATTEMPT_QUEUE } from './first-attempt';
import type { DeliveryStarter } from './starter';
import {
  type DeliveryRecord,
  dayOf,
  deliveryKeyPrefix,
  type ReleaseIndexRow,
  type ReleaseTask,
  releaseTaskRowKey,
  type SubscriptionRecord,
  startMarkerPartition,
  startMarkerRowKey,
} from './tables';
import { firstAttemptWait } from './throttle';

/**
 * Pause and resume of a subscription (docs/outbound.md, "Pause and resume"). Paused, publish
 * stores each new delivery `held` and starts nothing; a first attempt that finds its subscription
 * paused holds its delivery too. Resume does not clear the flag: it marks the subscription
 * `resuming` and starts a release task, and while it runs new publishes are still held, behind
 * the older ones. One worker at a time walks the held deliveries oldest first and runs each one's
 * first attempt in turn, so the receiver gets them in publication order; only when none is left
 * does it clear `paused` (under the row's ETag), and a re-check a little later sends any publish
 * that raced that flip. The release rides on the first-attempt queue (its worker has the durable
 * client a failed attempt needs to start its schedule).
 */

/** Held deliveries one release message handles before it hands on to the next (bounded lock time). */
export const RELEASE_BATCH = 20;
/**
 * A running release not heard from for this long (and not waiting for a throttled slot) is taken to
 * have died: a new resume, or the start sweep (`restartStaleReleases`), restarts it where it stood.
 */
export const RELEASE_STALE_MS = 5 * 60_000;
/** Where a test can kill the release worker: after a delivery was sent and the progress saved. */
export const RELEASE_CRASH_POINTS = { afterDelivery: 'outbound.release.after-delivery' } as const;
/** The cross-tenant index of running releases (tables.ts, `outboundreleases`). */
const RUNNING_RELEASES = 'running';

function releaseIndexRowKey(tenantId: string, subscriptionId: string): string {
  return `${tenantId}|${subscriptionId}`;
}

/** Heard from within RELEASE_STALE_MS, or waiting for a slot that is not yet due. */
function releaseIsAlive(task: ReleaseTask, now: number): boolean {
  const heard = Math.max(Date.parse(task.updatedAt), task.dueAt ? Date.parse(task.dueAt) : 0);
  return task.state === 'running' && heard > now - RELEASE_STALE_MS;
}
/** Held deliveries are published while paused; a day earlier covers first attempts held after the pause. */
const HOLD_LOOKBACK_MS = 86_400_000;
/**
 * After the flip to active, one more pass this much later: a publish that read the subscription as
 * paused just before the flip writes its held delivery after it (a publish takes well under this).
 */
export const RELEASE_RECHECK_MS = 10_000;

export const releaseMessageSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('release'),
  tenantId: z.string().min(1),
  subscriptionId: z.string().min(1),
  taskId: z.string().min(1),
  /** The send slot a throttled release reserved for its next delivery before it waited (throttle.ts). */
  slotAt: z.iso.datetime().optional(),
  /** The pass after the flip to active: releases what a racing publish held, changes no state. */
  recheck: z.literal(true).optional(),
});
export type ReleaseMessage = z.infer<typeof releaseMessageSchema>;

export function isReleaseMessage(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'release';
}

/**
 * Pause sets `paused` (keeping the first pause's time while a release still runs, so the walk
 * still starts there) and ends `resuming`. Resume leaves `paused` set and marks `resuming`; the
 * release clears both when no held delivery is left (`finishResume`). Answers the pause time.
 */
async function setPaused(deps: OutboundDeps, caller: Principal, id: string, paused: boolean): Promise<string | null> {
  let pausedAt: string | null = null;
  const updated = await deps.tables.subscriptions.update(caller.tenantId, id, (current) => {
    if (!current) throw new ResourceNotFoundError('subscription', id);
    pausedAt = current.pausedAt ?? null;
    const resuming = current.resuming === true;
    const isPaused = current.paused === true;
    if (paused ? isPaused && !resuming : !isPaused || resuming) return undefined; // already so
    const at = new Date(nowMs()).toISOString();
    const next: SubscriptionRecord = { ...current, paused: true, updatedAt: at };
    if (paused) {
      delete next.resuming;
      next.pausedAt = resuming ? (current.pausedAt ?? at) : at;
    } else next.resuming = true;
    return next;
  });
  if (!updated) throw new ResourceNotFoundError('subscription', id);
  return pausedAt;
}

/**
 * The release found nothing left: the subscription becomes active under its ETag. `paused` when a
 * re-pause came first (the release ends interrupted), `active` otherwise (also for a subscription
 * that was never marked resuming).
 */
async function finishResume(deps: OutboundDeps, tenantId: string, id: string): Promise<'active' | 'paused'> {
  let outcome: 'active' | 'paused' = 'active';
  await deps.tables.subscriptions.update(tenantId, id, (current) => {
    outcome = current?.paused === true && current.resuming !== true ? 'paused' : 'active';
    if (!current?.paused || !current.resuming) return undefined;
    const next: SubscriptionRecord = { ...current, paused: false, updatedAt: new Date(nowMs()).toISOString() };
    delete next.resuming;
    delete next.pausedAt;
    return next;
  });
  return outcome;
}

/** A release that cannot go on (disabled): back to plainly paused, so the view says so and a resume restarts. */
async function abandonResume(deps: OutboundDeps, tenantId: string, id: string): Promise<void> {
  await deps.tables.subscriptions.update(tenantId, id, (current) => {
    if (!current?.resuming) return undefined;
    const next: SubscriptionRecord = { ...current };
    delete next.resuming;
    return next;
  });
}

export async function pauseSubscription(
  deps: OutboundDeps,
  caller: Principal,
  id: string,
  correlationId: string,
): Promise<void> {
  await setPaused(deps, caller, id, true);
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'subscription.paused',
    actorKeyId: caller.keyId,
    targetType: 'subscription',
    targetId: id,
    correlationId,
  });
}

/**
 * Resume: the subscription is marked `resuming` first (new deliveries are still held, behind the
 * older ones), then the release task. A release already running and alive is left to finish (one
 * release per subscription at a time: two would race each other and lose the order); a stale one
 * is replaced.
 */
export async function resumeSubscription(
  deps: OutboundDeps,
  caller: Principal,
  id: string,
  correlationId: string,
  bus: BusSender,
): Promise<void> {
  const tenantId = caller.tenantId;
  const pausedAt = await setPaused(deps, caller, id, false);
  const now = nowMs();
  const fromMs = pausedAt ? Date.parse(pausedAt) - HOLD_LOOKBACK_MS : now - HOLD_LOOKBACK_MS;
  let started: ReleaseTask | undefined;
  await deps.tables.tasks.update(tenantId, releaseTaskRowKey(id), (current) => {
    started = undefined;
    if (current && releaseIsAlive(current, now)) return undefined;
    const at = new Date(now).toISOString();
    // A stale release is picked up where it stood; a new one starts at the pause.
    const day = current?.state === 'running' ? current.day : timeBucket(Math.max(0, fromMs), 'day');
    started = {
      taskId: newestFirstId(now),
      state: 'running',
      startedAt: at,
      updatedAt: at,
      day,
      released: 0,
      succeeded: 0,
      actorKeyId: caller.keyId,
    };
    return started;
  });
  if (started) {
    await noteRunning(deps, tenantId, id);
    await sendRelease(bus, { v: 1, kind: 'release', tenantId, subscriptionId: id, taskId: started.taskId }, 0);
  }
  await recordAudit(deps.audit, tenantId, {
    action: 'subscription.resumed',
    actorKeyId: caller.keyId,
    targetType: 'subscription',
    targetId: id,
    correlationId,
  });
}

/** The release's row in the running index, written before its first message (idempotent). */
async function noteRunning(deps: OutboundDeps, tenantId: string, subscriptionId: string): Promise<void> {
  const row: ReleaseIndexRow = { tenantId, subscriptionId };
  await deps.tables.releases.upsert(RUNNING_RELEASES, releaseIndexRowKey(tenantId, subscriptionId), row);
}

/** The release ended: out of the running index (a leftover is dropped by the next sweep). */
async function noteEnded(deps: OutboundDeps, tenantId: string, subscriptionId: string): Promise<void> {
  await deps.tables.releases
    .delete(RUNNING_RELEASES, releaseIndexRowKey(tenantId, subscriptionId))
    .catch((error: unknown) =>
      logger.warn('release index row not removed', { tenantId, subscriptionId, ...errorFields(error) }),
    );
}

async function sendRelease(bus: BusSender, message: ReleaseMessage, batch: number, waitMs = 0): Promise<void> {
  const at = nowMs();
  const kind = message.recheck ? 'r' : '';
  await bus.send(FIRST_ATTEMPT_QUEUE, message, {
    messageId: `release-${message.taskId}-${kind}${batch}${waitMs > 0 ? `-w${at}` : ''}`,
    ...(waitMs > 0 ? { scheduledEnqueueTimeUtc: new Date(at + waitMs) } : {}),
  });
}

/**
 * The subscription's held deliveries, oldest first, at most `limit`, from day `fromDay` on. Found
 * through the status index (`~status:held|…` in each day partition), so only held rows are read;
 * ids are newest first, so a day's ids are walked in reverse.
 */
async function oldestHeld(
  deps: OutboundDeps,
  tenantId: string,
  subscriptionId: string,
  fromDay: string,
  limit: number,
): Promise<{ items: Stored<DeliveryRecord>[]; day: string }> {
  const days = timeBucketsBetween(0, nowMs(), 'day')
    .filter((d) => d >= fromDay)
    .reverse();
  const items: Stored<DeliveryRecord>[] = [];
  const prefix = deliveryKeyPrefix('status', 'held');
  for (const day of days) {
    const ids: string[] = [];
    for await (const row of deps.tables.deliveryRows.iterate(tenantPartition(tenantId, day), { rowKeyPrefix: prefix }))
      ids.push(row.rowKey.slice(prefix.length));
    ids.sort().reverse();
    for (const id of ids) {
      const stored = await readDelivery(deps, tenantId, id);
      if (stored?.value.status !== 'held' || stored.value.subscriptionId !== subscriptionId) continue;
      items.push(stored);
      if (items.length >= limit) return { items, day };
    }
  }
  return { items, day: days[days.length - 1] ?? fromDay };
}

/**
 * The release worker: up to RELEASE_BATCH held deliveries, each moved to `pending` under its ETag
 * (with a start marker first, so a crash leaves it to the start sweep) and given its first attempt
 * before the next one, then the next message. When none is left the subscription turns active
 * (`finishResume`) and a re-check is scheduled. A re-pause, a disabled or deleted subscription or
 * a newer release ends it. Throwing abandons the message (it comes back).
 */
export async function releaseHeld(
  deps: OutboundDeps,
  message: Pick<ReceivedMessage, 'body'>,
  orchestrations: DeliveryStarter | undefined,
  bus: BusSender,
): Promise<Settlement> {
  const parsed = releaseMessageSchema.safeParse(message.body);
  if (!parsed.success) return complete;
  const { tenantId, subscriptionId, taskId } = parsed.data;
  const recheck = parsed.data.recheck === true;
  const key = releaseTaskRowKey(subscriptionId);
  const task = await deps.tables.tasks.get(tenantId, key);
  if (task?.value.taskId !== taskId || task.value.state !== (recheck ? 'done' : 'running')) return complete;
  const progress = { released: task.value.released, succeeded: task.value.succeeded, day: task.value.day };
  const save = async (state: ReleaseTask['state'], dueAt?: string) => {
    await deps.tables.tasks.update(tenantId, key, (current) => {
      if (current?.taskId !== taskId) return undefined;
      const at = new Date(nowMs()).toISOString();
      const { dueAt: _due, ...rest } = current;
      const due = dueAt ? { dueAt } : {};
      if (recheck) return { ...rest, ...progress, updatedAt: at, ...due };
      return { ...rest, ...progress, state, updatedAt: at, ...due, ...(state === 'running' ? {} : { finishedAt: at }) };
    });
    if (state !== 'running' && !recheck) await noteEnded(deps, tenantId, subscriptionId);
  };
  // The slot reserved before the last wait (throttle.ts) belongs to the first delivery of this turn.
  let slot: string | undefined = parsed.data.slotAt;
  const { items, day } = await oldestHeld(deps, tenantId, subscriptionId, progress.day, RELEASE_BATCH);
  for (const held of items) {
    const id = held.rowKey;
    const sub = await deps.tables.subscriptions.get(tenantId, subscriptionId);
    // Resuming (or, for a release started before `resuming` existed, active); the re-check only once active.
    const goesOn = sub?.value.enabled && (recheck ? !sub.value.paused : !sub.value.paused || sub.value.resuming);
    if (!sub || !goesOn) {
      if (sub && !sub.value.enabled) await abandonResume(deps, tenantId, subscriptionId);
      await save('interrupted');
      return complete;
    }
    // A throttled subscription (throttle.ts): the release waits for its slot, then goes on in order.
    const health = await deps.tables.health.get(tenantId, subscriptionId);
    const wait = await firstAttemptWait(deps, tenantId, sub, health?.value, slot ? { waitingUntil: slot } : undefined);
    slot = undefined;
    if (wait > 0) {
      const slotAt = new Date(nowMs() + wait).toISOString();
      await save('running', slotAt);
      await sendRelease(bus, { ...parsed.data, slotAt }, progress.released, wait);
      return complete;
    }
    const marker = { partition: startMarkerPartition(held.value.eventId), row: startMarkerRowKey(tenantId, id) };
    await deps.tables.starts.upsert(marker.partition, marker.row, { tenantId, deliveryId: id });
    // Against the row as the walk read it (one changed since loses the ETag race and is read again).
    const moved = await changeDelivery(
      deps,
      tenantId,
      id,
      (d) => {
        if (d.status !== 'held') return undefined;
        const next: DeliveryRecord = { ...d, status: 'pending' };
        delete next.statusReason;
        return next;
      },
      held,
    );
    if (moved?.value.status === 'pending') {
      // Sent as released: `paused` is still set while resuming, which would hold it again.
      const releasing = { ...sub, value: { ...sub.value, paused: false } };
      const outcome = await runAutomaticAttempt(
        deps,
        { tenantId, deliveryId: id, k: 1 },
        { delivery: moved, subscription: releasing },
      );
      if (outcome.kind === 'retry') {
        if (!orchestrations) throw new Error('the release worker has no durable client to start a retry schedule');
        await orchestrations.start(tenantId, id);
      }
      progress.released++;
      if (outcome.kind === 'succeeded') progress.succeeded++;
    }
    await deps.tables.starts
      .delete(marker.partition, marker.row)
      .catch((error: unknown) => logger.warn('start marker not removed', { deliveryId: id, ...errorFields(error) }));
    // The walk only moves forward: a crash resumes at the day of the last released delivery.
    if (dayOf(id) > progress.day) progress.day = dayOf(id);
    await save('running');
    crashPoint(RELEASE_CRASH_POINTS.afterDelivery);
  }
  progress.day = day;
  const next: ReleaseMessage = { v: 1, kind: 'release', tenantId, subscriptionId, taskId };
  if (items.length >= RELEASE_BATCH) {
    await save('running');
    await sendRelease(bus, recheck ? { ...next, recheck } : next, progress.released);
    return complete;
  }
  if (recheck) {
    await save('done');
    return complete;
  }
  // None left: active from here on. A publish that read `paused` just before this write holds
  // its delivery after it; the re-check sends it.
  if ((await finishResume(deps, tenantId, subscriptionId)) === 'paused') {
    await save('interrupted');
    return complete;
  }
  await save('done');
  await sendRelease(bus, { ...next, recheck: true }, progress.released, RELEASE_RECHECK_MS);
  return complete;
}

export interface ReleaseRestartResult {
  /** Releases that had died and were started again where they stood. */
  restarted: number;
  /** Index rows of releases that had ended (or could not go on), removed. */
  dropped: number;
}

/**
 * The start sweep's hook (triggers.ts): a release whose worker died for good — its message
 * dead-lettered or lost — leaves the subscription `resuming`, holding everything, until someone
 * resumes again. Each release in the running index that is no longer alive (RELEASE_STALE_MS, past
 * any slot it waits for) is claimed again under the task row's ETag with a new task id, keeping
 * the day it stood at and its counts, and gets a new message; a message of the dead task that
 * still turns up finds another task id and does nothing. A release whose subscription was
 * re-paused, disabled or deleted meanwhile ends `interrupted` instead.
 */
export async function restartStaleReleases(deps: OutboundDeps, bus: BusSender): Promise<ReleaseRestartResult> {
  const result: ReleaseRestartResult = { restarted: 0, dropped: 0 };
  for await (const row of deps.tables.releases.iterate(RUNNING_RELEASES)) {
    const { tenantId, subscriptionId } = row.value;
    try {
      if (await restartOne(deps, bus, tenantId, subscriptionId)) result.restarted++;
    } catch (error) {
      logger.warn('stale release not restarted', { tenantId, subscriptionId, ...errorFields(error) });
    }
  }
  return result;

  async function restartOne(d: OutboundDeps, b: BusSender, tenantId: string, id: string): Promise<boolean> {
    const now = nowMs();
    const key = releaseTaskRowKey(id);
    const task = await d.tables.tasks.get(tenantId, key);
    if (task && releaseIsAlive(task.value, now)) return false;
    if (task?.value.state !== 'running') {
      await noteEnded(d, tenantId, id);
      result.dropped++;
      return false;
    }
    const sub = await d.tables.subscriptions.get(tenantId, id);
    const goesOn = sub?.value.enabled === true && (sub.value.resuming === true || sub.value.paused !== true);
    let claimed: ReleaseTask | undefined;
    await d.tables.tasks.update(tenantId, key, (current) => {
      claimed = undefined;
      // Only the task that was found dead: a resume meanwhile started another one.
      if (current?.taskId !== task.value.taskId || releaseIsAlive(current, now)) return undefined;
      const at = new Date(now).toISOString();
      const { dueAt: _due, ...rest } = current;
      if (!goesOn) return { ...rest, state: 'interrupted', updatedAt: at, finishedAt: at };
      claimed = { ...rest, taskId: newestFirstId(now), updatedAt: at };
      return claimed;
    });
    if (!goesOn) {
      if (sub && !sub.value.enabled) await abandonResume(d, tenantId, id);
      await noteEnded(d, tenantId, id);
      result.dropped++;
      return false;
    }
    if (!claimed) return false;
    logger.info('stale release restarted', { tenantId, subscriptionId: id, day: claimed.day });
    await sendRelease(
      b,
      { v: 1, kind: 'release', tenantId, subscriptionId: id, taskId: claimed.taskId },
      claimed.released,
    );
    return true;
  }
}
