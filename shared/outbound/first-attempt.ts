import { z } from 'zod';
import { type BusSender, complete, deadLetter, type ReceivedMessage, type Settlement } from '../bus/port';
import { nowMs } from '../clock';
import { crashPoint } from '../faults/crash-points';
import { errorFields, logger } from '../observability/logger';
import { ConflictError, NotFoundError } from '../storage/errors';
import type { Stored } from '../storage/table-repository';
import {
  automaticOutcomeOf,
  noteGaveUp,
  recordAttempt,
  runAutomaticAttempt,
  sendAttempt,
  succeeded,
  withAutomaticOutcome,
} from './attempt';
import { changeDelivery, fileStatusKey, readDelivery, statusKeyMoves } from './deliveries';
import type { OutboundDeps } from './deps';
import { type DeliveryStarter, type StoredDelivery, UnstartedDeliveriesError } from './starter';
import {
  type AttemptRecord,
  type AutomaticOutcome,
  attemptLogRowKey,
  type DeliveryRecord,
  dayPartition,
  deliveryRecordSchema,
  type SubscriptionRecord,
} from './tables';
import { firstAttemptWait } from './throttle';

/**
 * The first attempt of a delivery runs from a queue worker, not from an orchestration: a delivery
 * that succeeds at once never touches the Durable engine (its instance row, history, control and
 * work-item queues). Only a first attempt that asks for a retry starts the delivery's orchestration
 * (instance id = delivery id, status read first), which replays attempt 1's recorded outcome and
 * walks the rest of the schedule exactly as before (docs/outbound.md, "A delivery").
 */

/** The bus queue (a Service Bus queue in Azure, an Azurite storage queue locally). */
export const FIRST_ATTEMPT_QUEUE = 'outbound-first-attempt';

/** Between attempt 1's recorded outcome and the orchestration start (a redelivery starts it). */
export const FIRST_ATTEMPT_CRASH_AFTER_RECORD = 'outbound.first-attempt.after-record';
/** After the orchestration start, before the message is settled (a redelivery finds it started). */
export const FIRST_ATTEMPT_CRASH_AFTER_START = 'outbound.first-attempt.after-start';

/** Between attempt 1's send and its recorded outcome, on the path that trusts the message's copy. */
export const FIRST_ATTEMPT_CRASH_AFTER_SEND = 'outbound.first-attempt.after-send';

const idsSchema = {
  tenantId: z.string().min(1),
  deliveryId: z.string().min(1),
  eventId: z.string().min(1),
};

/**
 * v1: ids only (a requeued or older message; the worker reads the rows). v2: also the delivery row
 * as publish inserted it and its ETag, and the subscription's ETag as publish read it — what the
 * send needs, so a first delivery of the message is sent without reading (the signing secret is
 * not in it: the worker opens it from its cached subscription row, docs/design.md §10.2).
 */
export const firstAttemptMessageSchema = z.union([
  z.strictObject({ v: z.literal(1), ...idsSchema }),
  z.strictObject({
    v: z.literal(2),
    ...idsSchema,
    etag: z.string().min(1),
    subscriptionEtag: z.string(),
    delivery: deliveryRecordSchema,
  }),
]);
export type FirstAttemptMessage = z.infer<typeof firstAttemptMessageSchema>;

/**
 * Publish's starter on the queue: one message per delivery. The message id is the delivery id's,
 * and the worker is idempotent per delivery (a recorded attempt 1 is never sent again), so a second
 * copy is harmless and the send skips the emulated duplicate-detection ledger
 * (SendOptions.duplicatesTolerated). A message that is lost or dead-lettered leaves the delivery
 * `pending`, which the start sweep finds after its grace period (sweep.ts).
 */
export function queueStarter(bus: BusSender): DeliveryStarter {
  return {
    async start(tenantId, deliveryId, eventId, stored) {
      await sendFirstAttempt(bus, firstAttemptMessageOf(tenantId, deliveryId, eventId, stored));
      return 'started';
    },
  };
}

/** v2 when publish just inserted the row (and the service answered its ETag), ids only otherwise. */
function firstAttemptMessageOf(
  tenantId: string,
  deliveryId: string,
  eventId: string | undefined,
  stored: StoredDelivery | undefined,
): FirstAttemptMessage {
  if (!eventId) throw new Error(`delivery ${deliveryId}: the first-attempt queue needs the event id`);
  return stored?.etag && stored.delivery.keys === 'row'
    ? {
        v: 2,
        tenantId,
        deliveryId,
        eventId,
        etag: stored.etag,
        subscriptionEtag: stored.subscriptionEtag,
        delivery: stored.delivery,
      }
    : { v: 1, tenantId, deliveryId, eventId };
}

function sendFirstAttempt(bus: BusSender, body: FirstAttemptMessage, idSuffix = ''): Promise<void> {
  return bus.send(FIRST_ATTEMPT_QUEUE, body, {
    messageId: `first-${body.deliveryId}${idSuffix}`,
    duplicatesTolerated: true,
  });
}

/** After an inline first attempt that did not finish, before the ids-only message that takes it over. */
export const FIRST_ATTEMPT_CRASH_INLINE_BEFORE_FALLBACK = 'outbound.first-attempt.inline.before-fallback';
/** After an inline first attempt recorded `retry`, before the message that asks the worker for the schedule. */
export const FIRST_ATTEMPT_CRASH_INLINE_BEFORE_HANDOFF = 'outbound.first-attempt.inline.before-handoff';

/**
 * Whether an inline first attempt may hold the publishing invocation: only for an endpoint whose
 * last attempt succeeded and that asked for no slowdown. A failing or hanging receiver would hold
 * a pipeline handler for up to the attempt timeout per event, so its deliveries take the queue
 * (one failed attempt inline at most, before the streak shows). The copy is this instance's cache,
 * which the worker reads anyway.
 */
async function answersPromptly(deps: OutboundDeps, tenantId: string, subscriptionId: string): Promise<boolean> {
  const health = (await deps.tables.health.getCached(tenantId, subscriptionId))?.value;
  if (!health) return true;
  if (health.consecutiveFailures > 0) return false;
  return health.slowUntil === undefined || Date.parse(health.slowUntil) <= nowMs();
}

/**
 * A starter for publishers that run inside an invocation which lasts until they return (the
 * pipeline's stage, docs/outbound.md "The first attempt in the publishing process"): attempt 1 runs
 * here, right after the rows' transaction, exactly as the queue worker runs a message's first
 * delivery — no queue send, receive or delete. The queue stays the way out of every other case:
 * - a row publish did not just insert (a repeated keyed publication): the ids-only message;
 * - a throttled attempt: put back on the queue, delayed, as the worker does;
 * - a `retry` outcome: this process has no durable client, so an ids-only message asks the worker
 *   to start the schedule (it finds attempt 1 recorded and replays it; nothing is sent twice);
 * - anything thrown: an ids-only message, so the worker reads the row and carries on from it.
 * A crash anywhere leaves the row `pending` or `retrying` as the queue path does, which the
 * redelivered stage message (its keyed publication finds the row) or the start sweep takes up.
 */
export function inlineFirstAttemptStarter(deps: OutboundDeps, bus: BusSender): DeliveryStarter {
  /**
   * The row's status key, before the delivery is left to the queue (a message may be lost; the
   * start sweep finds a waiting delivery by its key). A row the attempt changed is filed already
   * and left as it is. False = not filed (a failure, logged): the row may still be unfiled.
   */
  const file = async (tenantId: string, deliveryId: string, stored: StoredDelivery): Promise<boolean> => {
    const known = {
      partitionKey: dayPartition(tenantId, deliveryId),
      rowKey: deliveryId,
      etag: stored.etag,
      value: stored.delivery,
    };
    try {
      await fileStatusKey(deps, tenantId, deliveryId, known);
      return true;
    } catch (error) {
      logger.warn('status key of a delivery not filed before its queue message', {
        tenantId,
        deliveryId,
        ...errorFields(error),
      });
      return false;
    }
  };
  return {
    // Decided before the insert, so a delivery left to the queue goes in filed and its message
    // carries the row as inserted (with its ETag), as the queue starter's does.
    attemptsInline: (tenantId, subscriptionId) => answersPromptly(deps, tenantId, subscriptionId),
    async start(tenantId, deliveryId, eventId, stored) {
      const body = firstAttemptMessageOf(tenantId, deliveryId, eventId, stored);
      if (!stored || body.v !== 2 || !body.delivery.unfiled) {
        await sendFirstAttempt(bus, body);
        return 'started';
      }
      const ids: FirstAttemptMessage = { v: 1, tenantId, deliveryId, eventId: body.eventId };
      const handoff: DeliveryStarter = {
        async start() {
          crashPoint(FIRST_ATTEMPT_CRASH_INLINE_BEFORE_HANDOFF);
          await sendFirstAttempt(bus, ids, '-schedule');
          return 'started';
        },
      };
      const message = { body, messageId: `first-${deliveryId}`, deliveryCount: 1 };
      const run = () => runFirstAttempt(deps, message, handoff, bus);
      try {
        // As the worker's trigger: counters and health left to the batch timer (endpoint-tallies.ts).
        const settled = deps.tallies ? await deps.tallies.track(deps, run, { idleFlush: 'timer' }) : await run();
        if (settled.kind === 'complete') return 'started';
        logger.warn('inline first attempt not settled; handed to the queue', {
          tenantId,
          deliveryId,
          settled: settled.kind,
        });
      } catch (error) {
        logger.warn('inline first attempt failed; handed to the queue', {
          tenantId,
          deliveryId,
          ...errorFields(error),
        });
      }
      const filed = await file(tenantId, deliveryId, stored);
      crashPoint(FIRST_ATTEMPT_CRASH_INLINE_BEFORE_FALLBACK);
      try {
        await sendFirstAttempt(bus, ids, '-inline');
      } catch (error) {
        // Neither key nor message: only a repeat of the publication finds it (publish.ts).
        if (!filed) throw new UnstartedDeliveriesError(tenantId, [deliveryId], { cause: error });
        throw error;
      }
      return 'started';
    },
  };
}

/**
 * The worker: attempt 1, then the orchestration only when the outcome is `retry`. On the message's
 * first delivery a v2 message is trusted as the row it carries (nothing can have changed it but a
 * manual retry or a sweep-started orchestration, which the outcome's If-Match catches): no read, no
 * lease — the message's lock is the lease — and one transaction for the outcome. Any other case (a
 * redelivery, which may follow a recorded outcome; a v1 message; a subscription paused, disabled
 * or gone) runs the orchestration's own activity code, with its re-reads and in-flight lease.
 * Throwing abandons the message and the bus delivers it again; an unreadable one is dead-lettered.
 */
export async function runFirstAttempt(
  deps: OutboundDeps,
  message: Pick<ReceivedMessage, 'body' | 'messageId'> & { deliveryCount?: number },
  orchestrations: DeliveryStarter | undefined,
  /** Where a throttled first attempt is put back, delayed (throttle.ts); without it none waits. */
  requeue?: BusSender,
): Promise<Settlement> {
  const parsed = firstAttemptMessageSchema.safeParse(message.body);
  if (!parsed.success) {
    return deadLetter('invalid_message', `Not a first-attempt message: ${parsed.error.issues[0]?.message ?? ''}`);
  }
  const msg = parsed.data;
  const { tenantId, deliveryId } = msg;
  const carried = msg.v === 2 && message.deliveryCount === 1 ? msg : undefined;
  const delivery: Stored<DeliveryRecord> | undefined = carried
    ? {
        partitionKey: dayPartition(tenantId, deliveryId),
        rowKey: deliveryId,
        etag: carried.etag,
        value: carried.delivery,
      }
    : await readDelivery(deps, tenantId, deliveryId);
  let known: Parameters<typeof runAutomaticAttempt>[2];
  let outcome: AutomaticOutcome | undefined;
  if (delivery?.value.status === 'pending' && delivery.value.automaticAttempts === 0) {
    // This instance's copy, a few seconds old at most, of the version publish saw (or newer).
    const subscription = await deps.tables.subscriptions.getCached(
      tenantId,
      delivery.value.subscriptionId,
      carried?.subscriptionEtag,
    );
    if (subscription?.value.enabled && !subscription.value.paused) {
      if (requeue) {
        const health = await deps.tables.health.getCached(tenantId, delivery.value.subscriptionId);
        const wait = await firstAttemptWait(deps, tenantId, subscription, health?.value, delivery.value);
        if (wait > 0) {
          await waitTurn(deps, requeue, msg, delivery, wait);
          return complete;
        }
      }
      if (carried) outcome = await attemptAsCarried(deps, tenantId, delivery, subscription);
    }
    known = { delivery, subscription };
  }
  outcome ??= await runAutomaticAttempt(deps, { tenantId, deliveryId, k: 1 }, known);
  crashPoint(FIRST_ATTEMPT_CRASH_AFTER_RECORD);
  if (outcome.kind !== 'retry') return complete;
  if (!orchestrations) {
    // A registration without the durable client binding: abandon, so the message comes back rather
    // than leaving the delivery `retrying` with no schedule behind it.
    throw new Error('the first-attempt worker has no durable client to start the retry schedule');
  }
  try {
    const started = await orchestrations.start(tenantId, deliveryId);
    logger.info('delivery retry schedule started', { tenantId, deliveryId, started, at: nowMs() });
  } catch (error) {
    logger.warn('delivery retry schedule not started; the message comes back', {
      tenantId,
      deliveryId,
      ...errorFields(error),
    });
    throw error;
  }
  crashPoint(FIRST_ATTEMPT_CRASH_AFTER_START);
  return complete;
}

/**
 * Attempt 1 from the message's copy of the row: send, then the outcome, the status index move and
 * the attempt log row in one transaction under the inserted row's ETag. Undefined = not this way
 * (tenant disabled, no body on the row): the activity code decides.
 */
async function attemptAsCarried(
  deps: OutboundDeps,
  tenantId: string,
  delivery: Stored<DeliveryRecord>,
  subscription: Stored<SubscriptionRecord>,
): Promise<AutomaticOutcome | undefined> {
  const body = delivery.value.eventBody;
  if (body === undefined || delivery.value.payloadErasedAt || delivery.value.inFlight) return undefined;
  if (!(await deps.tenantIsActive(tenantId))) return undefined;
  const at = nowMs();
  const result = await sendAttempt(
    deps,
    subscription.value,
    delivery.rowKey,
    body,
    delivery.value.eventType,
    1,
    'initial',
  );
  crashPoint(FIRST_ATTEMPT_CRASH_AFTER_SEND);
  const logged = await recordAttempt(deps, tenantId, delivery, 1, 'initial', at, result);
  const outcome = automaticOutcomeOf(result, 1);
  const written = await writeCarriedOutcome(deps, tenantId, delivery, logged, outcome, succeeded(result));
  noteGaveUp(tenantId, delivery.value.subscriptionId, delivery.rowKey, outcome, result, written.status);
  return written.outcome;
}

/** Rounds of a lost ETag race before giving up (the message then comes back). */
const OUTCOME_ROUNDS = 10;

/**
 * The outcome under the inserted row's ETag. If the row moved meanwhile (a manual retry or a
 * sweep-started orchestration sent too: at-least-once), it is read and this send is logged as the
 * next attempt number; it is recorded as automatic attempt 1 only if nobody else took that, and a
 * success still settles the delivery `succeeded` (as a manual success does).
 */
async function writeCarriedOutcome(
  deps: OutboundDeps,
  tenantId: string,
  delivery: Stored<DeliveryRecord>,
  logged: AttemptRecord,
  outcome: AutomaticOutcome,
  ok: boolean,
): Promise<{ outcome: AutomaticOutcome; status: DeliveryRecord['status'] | undefined }> {
  const id = delivery.rowKey;
  const pk = dayPartition(tenantId, id);
  let current: Stored<DeliveryRecord> | undefined = delivery;
  let dropOldKey = true;
  for (let round = 1; round <= OUTCOME_ROUNDS; round++) {
    if (round > 1) current = await readDelivery(deps, tenantId, id);
    if (!current) return { outcome: { kind: 'stopped', reason: 'the delivery no longer exists' }, status: undefined };
    const d = current.value;
    const n = d.attemptCount + 1;
    const lease = d.inFlight && d.inFlight.untilMs > nowMs();
    const claim = d.status === 'pending' && d.automaticAttempts === 0 && !lease;
    let next: DeliveryRecord;
    if (claim) next = withAutomaticOutcome({ ...d, attemptCount: n }, 1, n, outcome);
    else {
      next = { ...d, attemptCount: n };
      if (ok && d.status !== 'succeeded' && d.status !== 'held') {
        next.status = 'succeeded';
        delete next.statusReason;
        delete next.nextAttemptAt;
      }
    }
    next.updatedAt = new Date(nowMs()).toISOString();
    const filed = !d.unfiled;
    delete next.unfiled;
    // A first attempt that settled the delivery keeps its log record on the row: with no status key
    // to move (an unfiled row; `succeeded` has none) the outcome is one write of the row alone.
    const settles = claim && next.status === 'succeeded';
    if (settles) next.settledBy = { ...logged, n };
    const moves = statusKeyMoves(id, d.status, next.status, { at: next.updatedAt }, dropOldKey, filed);
    try {
      if (settles && moves.length === 0) await deps.tables.deliveries.replace(pk, id, next, current.etag);
      else {
        await deps.tables.deliveryRows.transact(pk, [
          { op: 'replace', rowKey: id, value: next, etag: current.etag },
          ...moves,
          ...(settles ? [] : [{ op: 'upsert' as const, rowKey: attemptLogRowKey(id, n), value: { ...logged, n } }]),
        ]);
      }
      return {
        outcome: claim ? outcome : { kind: 'stopped', reason: 'another attempt had the delivery' },
        status: next.status,
      };
    } catch (error) {
      if (error instanceof NotFoundError) dropOldKey = false;
      else if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError(`deliveries: ${pk}/${id} kept changing; the first attempt's outcome was not recorded`);
}

/**
 * A throttled first attempt: counted on the delivery and put back on the queue to become visible
 * when its turn comes. The start marker stays, for a message that is lost; the start sweep leaves
 * the delivery alone until its `waitingUntil` plus the grace period has passed (sweep.ts).
 */
async function waitTurn(
  deps: OutboundDeps,
  requeue: BusSender,
  message: FirstAttemptMessage,
  delivery: Stored<DeliveryRecord>,
  waitMs: number,
): Promise<void> {
  const at = nowMs();
  await changeDelivery(
    deps,
    message.tenantId,
    message.deliveryId,
    (d) =>
      d.status === 'pending'
        ? { ...d, throttled: (d.throttled ?? 0) + 1, waitingUntil: new Date(at + waitMs).toISOString() }
        : undefined,
    delivery,
  );
  // Ids only: the row has changed (the count above), so the copy a v2 message carries is stale.
  const ids: FirstAttemptMessage = {
    v: 1,
    tenantId: message.tenantId,
    deliveryId: message.deliveryId,
    eventId: message.eventId,
  };
  await requeue.send(FIRST_ATTEMPT_QUEUE, ids, {
    messageId: `first-${message.deliveryId}-w${at}`,
    scheduledEnqueueTimeUtc: new Date(at + waitMs),
    duplicatesTolerated: true,
  });
}

/**
 * The consumer of `outbound-first-attempt-deadletter`: a first attempt whose worker failed on every
 * delivery of its message (storage or Durable unavailable for the whole delivery count) hands the
 * delivery to its orchestration, which sends attempt 1 itself or replays its recorded outcome.
 * Throwing abandons the copy, which comes back; the start sweep is the last resort.
 */
export async function startDeadLetteredFirstAttempt(
  _deps: OutboundDeps,
  message: Pick<ReceivedMessage, 'body'>,
  orchestrations: DeliveryStarter,
): Promise<Settlement> {
  const parsed = firstAttemptMessageSchema.safeParse(message.body);
  if (!parsed.success) {
    logger.warn('dead-lettered first-attempt message is unreadable; dropped', {
      problem: parsed.error.issues[0]?.message ?? '',
    });
    return complete;
  }
  const { tenantId, deliveryId } = parsed.data;
  const started = await orchestrations.start(tenantId, deliveryId);
  logger.warn('first attempt handed to its orchestration after the worker gave up', { tenantId, deliveryId, started });
  return complete;
}
