import { z } from 'zod';
import { type BusSender, complete, deadLetter, type ReceivedMessage, type Settlement } from '../bus/port';
import { nowMs } from '../clock';
import { crashPoint } from '../faults/crash-points';
import { errorFields, logger } from '../observability/logger';
import type { Stored } from '../storage/table-repository';
import { runAutomaticAttempt } from './attempt';
import { changeDelivery, readDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import type { DeliveryStarter } from './starter';
import { type DeliveryRecord, startMarkerPartition, startMarkerRowKey } from './tables';
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

export const firstAttemptMessageSchema = z.strictObject({
  v: z.literal(1),
  tenantId: z.string().min(1),
  deliveryId: z.string().min(1),
  /** Names the start marker's partition: the worker removes the marker once it is done. */
  eventId: z.string().min(1),
});
export type FirstAttemptMessage = z.infer<typeof firstAttemptMessageSchema>;

/**
 * Publish's starter on the queue: one message per delivery, ids only (the worker loads the secret at
 * call time, docs/design.md §10.2). The message id is the delivery id's, and the worker is idempotent
 * per delivery (a recorded attempt 1 is never sent again), so a second copy is harmless and the send
 * skips the emulated duplicate-detection ledger (SendOptions.duplicatesTolerated). The start marker
 * stays until the worker is done with the delivery (`handsOffMarker`), so a message that is lost or
 * dead-lettered still leaves the delivery to the start sweep.
 */
export function queueStarter(bus: BusSender): DeliveryStarter {
  return {
    handsOffMarker: true,
    async start(tenantId, deliveryId, eventId) {
      if (!eventId) throw new Error(`delivery ${deliveryId}: the first-attempt queue needs the event id`);
      const body: FirstAttemptMessage = { v: 1, tenantId, deliveryId, eventId };
      await bus.send(FIRST_ATTEMPT_QUEUE, body, { messageId: `first-${deliveryId}`, duplicatesTolerated: true });
      return 'started';
    },
  };
}

/**
 * The worker: attempt 1 (the same activity code the orchestration runs, so its lease, re-reads and
 * idempotent re-run hold), then the orchestration only when the outcome is `retry`. Throwing
 * abandons the message and the bus delivers it again; a message that cannot be read is dead-lettered.
 */
export async function runFirstAttempt(
  deps: OutboundDeps,
  message: Pick<ReceivedMessage, 'body' | 'messageId'>,
  orchestrations: DeliveryStarter | undefined,
  /** Where a throttled first attempt is put back, delayed (throttle.ts); without it none waits. */
  requeue?: BusSender,
): Promise<Settlement> {
  const parsed = firstAttemptMessageSchema.safeParse(message.body);
  if (!parsed.success) {
    return deadLetter('invalid_message', `Not a first-attempt message: ${parsed.error.issues[0]?.message ?? ''}`);
  }
  const { tenantId, deliveryId, eventId } = parsed.data;
  let known: Parameters<typeof runAutomaticAttempt>[2];
  if (requeue) {
    const delivery = await readDelivery(deps, tenantId, deliveryId);
    if (delivery?.value.status === 'pending' && delivery.value.automaticAttempts === 0) {
      const [subscription, health] = await Promise.all([
        deps.tables.subscriptions.get(tenantId, delivery.value.subscriptionId),
        deps.tables.health.get(tenantId, delivery.value.subscriptionId),
      ]);
      if (subscription?.value.enabled && !subscription.value.paused) {
        const wait = await firstAttemptWait(deps, tenantId, subscription, health?.value, delivery.value);
        if (wait > 0) {
          await waitTurn(deps, requeue, parsed.data, delivery, wait);
          return complete;
        }
      }
      known = { delivery, subscription };
    }
  }
  const outcome = await runAutomaticAttempt(deps, { tenantId, deliveryId, k: 1 }, known);
  crashPoint(FIRST_ATTEMPT_CRASH_AFTER_RECORD);
  if (outcome.kind !== 'retry') {
    await dropMarker(deps, tenantId, deliveryId, eventId);
    return complete;
  }
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
  await dropMarker(deps, tenantId, deliveryId, eventId);
  return complete;
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
  await requeue.send(FIRST_ATTEMPT_QUEUE, message, {
    messageId: `first-${message.deliveryId}-w${at}`,
    scheduledEnqueueTimeUtc: new Date(at + waitMs),
    duplicatesTolerated: true,
  });
}

/** The delivery is settled or in its orchestration's hands: the sweep has nothing left to do for it. */
async function dropMarker(deps: OutboundDeps, tenantId: string, deliveryId: string, eventId: string): Promise<void> {
  // A marker left behind costs the sweep one read and a status check later; not worth a redelivery.
  await deps.tables.starts
    .delete(startMarkerPartition(eventId), startMarkerRowKey(tenantId, deliveryId))
    .catch((error: unknown) => logger.warn('start marker not removed', { deliveryId, ...errorFields(error) }));
}

/**
 * The consumer of `outbound-first-attempt-deadletter`: a first attempt whose worker failed on every
 * delivery of its message (storage or Durable unavailable for the whole delivery count) hands the
 * delivery to its orchestration, which sends attempt 1 itself or replays its recorded outcome.
 * Throwing abandons the copy, which comes back; the start marker is the last resort (the sweep).
 */
export async function startDeadLetteredFirstAttempt(
  deps: OutboundDeps,
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
  const { tenantId, deliveryId, eventId } = parsed.data;
  const started = await orchestrations.start(tenantId, deliveryId);
  logger.warn('first attempt handed to its orchestration after the worker gave up', { tenantId, deliveryId, started });
  await dropMarker(deps, tenantId, deliveryId, eventId);
  return complete;
}
