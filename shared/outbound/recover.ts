import { z } from 'zod';
import type { Principal } from '../apikeys/principal';
import { recordAudit } from '../audit/audit-log';
import { type BusSender, complete, type ReceivedMessage, type Settlement } from '../bus/port';
import { nowMs } from '../clock';
import { DomainError, isDomainError, ResourceNotFoundError } from '../errors/domain-error';
import { newestFirstId } from '../storage/keys';
import { runManualAttempt } from './attempt';
import { changeDelivery, listDeliveries, MAX_LIST_RANGE_DAYS } from './deliveries';
import type { OutboundDeps } from './deps';
import { FIRST_ATTEMPT_QUEUE } from './first-attempt';
import { type RecoverTask, recoverTaskRowKey } from './tables';
import { firstAttemptWait } from './throttle';

/**
 * Recover (docs/outbound.md, "Recover"): re-send every delivery of a subscription that ended
 * `failed` in a window, as a tracked background task. Each is re-sent as a new `manual` attempt
 * on the same delivery — the same `webhook-id`, so a receiver that did get an earlier copy
 * deduplicates it — never as a new delivery. The task rides on the first-attempt queue one page
 * at a time; the delivery row is marked with the task id before its attempt, so a redelivered
 * message never re-sends a delivery twice (a crash between the mark and the send leaves that one
 * not re-sent: at most once per task). A rate-limited subscription's re-sends reserve its send slots
 * like first attempts (throttle.ts): one whose slot is ahead goes back on the queue, scheduled for
 * it, with the slot and the delivery it belongs to, so a recover never sends faster than the limit.
 */

/** Deliveries one recover message handles before it hands on to the next page. */
export const RECOVER_PAGE = 20;
/** A running recover not heard from for this long is taken to have died; a new one may start. */
export const RECOVER_STALE_MS = 5 * 60_000;

export const recoverMessageSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('recover'),
  tenantId: z.string().min(1),
  subscriptionId: z.string().min(1),
  taskId: z.string().min(1),
  /** The send slot reserved for `deliveryId` (already marked by this task) before the message waited. */
  slotAt: z.iso.datetime().optional(),
  deliveryId: z.string().min(1).optional(),
});
export type RecoverMessage = z.infer<typeof recoverMessageSchema>;

export function isRecoverMessage(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'recover';
}

export interface RecoverView {
  id: string;
  subscriptionId: string;
  state: RecoverTask['state'];
  since: string;
  until: string;
  resent: number;
  succeeded: number;
  skipped: number;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  reason: string | null;
}

function toView(subscriptionId: string, t: RecoverTask): RecoverView {
  return {
    id: t.taskId,
    subscriptionId,
    state: t.state,
    since: t.since,
    until: t.until,
    resent: t.resent,
    succeeded: t.succeeded,
    skipped: t.skipped,
    startedAt: t.startedAt,
    updatedAt: t.updatedAt,
    finishedAt: t.finishedAt ?? null,
    reason: t.reason ?? null,
  };
}

export async function startRecover(
  deps: OutboundDeps,
  caller: Principal,
  subscriptionId: string,
  window: { since: string; until?: string | undefined },
  correlationId: string,
  bus: BusSender,
): Promise<RecoverView> {
  const tenantId = caller.tenantId;
  if (!(await deps.tables.subscriptions.get(tenantId, subscriptionId))) {
    throw new ResourceNotFoundError('subscription', subscriptionId);
  }
  const now = nowMs();
  const sinceMs = Date.parse(window.since);
  const untilMs = window.until ? Date.parse(window.until) : now;
  if (!(sinceMs <= untilMs)) {
    throw new DomainError('validation_failed', '`since` must not be after `until`.', {
      errors: [{ path: 'since', message: 'after until' }],
    });
  }
  if (untilMs - sinceMs > MAX_LIST_RANGE_DAYS * 86_400_000) {
    throw new DomainError('validation_failed', `The window is longer than ${MAX_LIST_RANGE_DAYS} days.`, {
      errors: [{ path: 'since', message: `at most ${MAX_LIST_RANGE_DAYS} days before until` }],
    });
  }
  const at = new Date(now).toISOString();
  const task: RecoverTask = {
    taskId: newestFirstId(now),
    state: 'running',
    since: new Date(sinceMs).toISOString(),
    until: new Date(untilMs).toISOString(),
    cursor: null,
    resent: 0,
    succeeded: 0,
    skipped: 0,
    startedAt: at,
    updatedAt: at,
    actorKeyId: caller.keyId,
  };
  // The guard and the claim in one conditional write: of two concurrent recovers one wins.
  await deps.tables.recoveries.update(tenantId, recoverTaskRowKey(subscriptionId), (current) => {
    if (current?.state === 'running' && Date.parse(current.updatedAt) > now - RECOVER_STALE_MS) {
      throw new DomainError('recover_in_flight', 'A recover of this subscription is still running.', {
        subscriptionId,
        recoverId: current.taskId,
      });
    }
    return task;
  });
  const message: RecoverMessage = { v: 1, kind: 'recover', tenantId, subscriptionId, taskId: task.taskId };
  await bus.send(FIRST_ATTEMPT_QUEUE, message, { messageId: `recover-${task.taskId}-0` });
  await recordAudit(deps.audit, tenantId, {
    action: 'subscription.recover_started',
    actorKeyId: caller.keyId,
    targetType: 'subscription',
    targetId: subscriptionId,
    correlationId,
    details: { since: task.since, until: task.until },
  });
  return toView(subscriptionId, task);
}

export async function getRecover(deps: OutboundDeps, tenantId: string, subscriptionId: string): Promise<RecoverView> {
  const row = await deps.tables.recoveries.get(tenantId, recoverTaskRowKey(subscriptionId));
  if (!row) throw new ResourceNotFoundError('recover of subscription', subscriptionId);
  return toView(subscriptionId, row.value);
}

/**
 * The recover worker: one page of the subscription's `failed` deliveries in the window, each
 * marked with the task id and re-sent as a manual attempt in turn, then the next page's message.
 */
export async function runRecover(
  deps: OutboundDeps,
  message: Pick<ReceivedMessage, 'body'>,
  bus: BusSender,
): Promise<Settlement> {
  const parsed = recoverMessageSchema.safeParse(message.body);
  if (!parsed.success) return complete;
  const { tenantId, subscriptionId, taskId } = parsed.data;
  const key = recoverTaskRowKey(subscriptionId);
  const task = await deps.tables.recoveries.get(tenantId, key);
  if (task?.value.taskId !== taskId || task.value.state !== 'running') return complete;
  const progress = { ...task.value };
  const save = (state: RecoverTask['state'], extra: Partial<RecoverTask> = {}) =>
    deps.tables.recoveries.update(tenantId, key, (current) => {
      if (current?.taskId !== taskId) return undefined;
      const at = new Date(nowMs()).toISOString();
      return {
        ...current,
        resent: progress.resent,
        succeeded: progress.succeeded,
        skipped: progress.skipped,
        cursor: progress.cursor,
        ...extra,
        state,
        updatedAt: at,
        ...(state === 'running' ? {} : { finishedAt: at }),
      };
    });
  const page = await listDeliveries(deps, tenantId, {
    subscriptionId,
    status: 'failed',
    from: progress.since,
    to: progress.until,
    limit: RECOVER_PAGE,
    cursor: progress.cursor ?? undefined,
  });
  // The delivery whose slot the last wait was for: marked already, sent on that slot.
  let waited = parsed.data.slotAt && parsed.data.deliveryId ? parsed.data : undefined;
  for (const item of page.items) {
    const resumed = waited?.deliveryId === item.id ? waited : undefined;
    if (!resumed) {
      let marked = 'other' as 'marked' | 'mine' | 'other';
      await changeDelivery(deps, tenantId, item.id, (d) => {
        marked = d.recoveredBy === taskId ? 'mine' : d.status === 'failed' ? 'marked' : 'other';
        return marked === 'marked' ? { ...d, recoveredBy: taskId } : undefined;
      });
      // Re-sent (or lost to a crash) by this task already, on an earlier turn of this page: counted then.
      if (marked === 'mine') continue;
      if (marked === 'other') {
        progress.skipped++;
        continue;
      }
    }
    // A throttled subscription: wait for the slot on the queue, then send this one first.
    const sub = await deps.tables.subscriptions.get(tenantId, subscriptionId);
    if (!sub?.value.enabled) {
      const reason = sub ? 'The subscription is disabled; enable it before retrying.' : 'The subscription was deleted.';
      await save('interrupted', { reason });
      return complete;
    }
    const health = await deps.tables.health.get(tenantId, subscriptionId);
    const slot = resumed?.slotAt ? { waitingUntil: resumed.slotAt } : undefined;
    waited = undefined;
    const wait = await firstAttemptWait(deps, tenantId, sub, health?.value, slot);
    if (wait > 0) {
      await save('running');
      const at = nowMs();
      const next: RecoverMessage = {
        v: 1,
        kind: 'recover',
        tenantId,
        subscriptionId,
        taskId,
        slotAt: new Date(at + wait).toISOString(),
        deliveryId: item.id,
      };
      await bus.send(FIRST_ATTEMPT_QUEUE, next, {
        messageId: `recover-${taskId}-${progress.resent + progress.skipped}-w${at}`,
        scheduledEnqueueTimeUtc: new Date(at + wait),
      });
      return complete;
    }
    try {
      const { status } = await runManualAttempt(deps, tenantId, item.id);
      progress.resent++;
      if (status === 'succeeded') progress.succeeded++;
    } catch (error) {
      if (isDomainError(error) && error.code === 'attempt_in_flight') progress.skipped++;
      else if (isDomainError(error)) {
        // The subscription was disabled or deleted meanwhile: the rest would fail the same way.
        await save('interrupted', { reason: error.message });
        return complete;
      } else throw error;
    }
    await save('running');
  }
  if (!page.nextCursor) {
    await save('done');
    return complete;
  }
  progress.cursor = page.nextCursor;
  await save('running');
  const nextPage: RecoverMessage = { v: 1, kind: 'recover', tenantId, subscriptionId, taskId };
  await bus.send(FIRST_ATTEMPT_QUEUE, nextPage, {
    messageId: `recover-${taskId}-${progress.resent + progress.skipped}`,
  });
  return complete;
}
