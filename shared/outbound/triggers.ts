import type { ReceivedMessage, Settlement } from '../bus/port';
import { processBus } from '../bus/process-bus';
import type { QueueBindings } from '../bus/trigger';
import { settings } from '../config/settings';
import * as df from '../sdk/durable-functions';
import { recordNextAttempt, runAutomaticAttempt } from './attempt';
import { outboundDeps } from './deps';
import { runFirstAttempt, startDeadLetteredFirstAttempt } from './first-attempt';
import {
  attemptInputSchema,
  deliveryOrchestrator,
  nextAttemptInputSchema,
  sendSlotInputSchema,
  throttledDeliveryOrchestrator,
} from './orchestrator';
import { isReleaseMessage, releaseHeld, restartStaleReleases } from './pause';
import { isRecoverMessage, runRecover } from './recover';
import { purgeExpiredDeliveries } from './retention';
import { durableStarter } from './starter';
import { startWaitingDeliveries } from './sweep';
import { reserveRetrySlot } from './throttle';

/**
 * What functions/outbound-delivery-durable.ts and functions/outbound-first-attempt-queue.ts run: the
 * first-attempt worker, the delivery orchestration, its two activities and the housekeeping timers, imported on the first invocation (docs/decisions.md §38). The entry names
 * them and their schedules (DELIVERY_ORCHESTRATOR, ATTEMPT_ACTIVITY, NEXT_ATTEMPT_ACTIVITY,
 * START_SWEEP_SCHEDULE, RETENTION_SCHEDULE; test/integration/lazy-registration.test.ts checks they agree).
 */
export const deliveryOrchestration: df.OrchestrationHandler = (context) => deliveryOrchestrator(context);
/** v2 (DELIVERY_ORCHESTRATOR): retries reserve their subscription's send slot (throttle.ts). */
export const throttledDeliveryOrchestration: df.OrchestrationHandler = (context) =>
  throttledDeliveryOrchestrator(context);

export async function sendSlot(input: unknown): Promise<unknown> {
  return reserveRetrySlot(outboundDeps(), sendSlotInputSchema.parse(input));
}

export async function attempt(input: unknown): Promise<unknown> {
  const deps = outboundDeps();
  const parsed = attemptInputSchema.parse(input);
  return deps.tallies
    ? deps.tallies.track(deps, () => runAutomaticAttempt(deps, parsed))
    : runAutomaticAttempt(deps, parsed);
}

export async function nextAttempt(input: unknown): Promise<null> {
  await recordNextAttempt(outboundDeps(), nextAttemptInputSchema.parse(input));
  return null;
}

/** The first-attempt worker (queue `outbound-first-attempt`): attempt 1, the orchestration only on a retry. */
export async function firstAttempt(message: ReceivedMessage, bindings: QueueBindings): Promise<Settlement> {
  const client = bindings.durableClient;
  const deps = outboundDeps();
  const starter = client ? durableStarter(client) : undefined;
  // The release of a resumed subscription's held deliveries shares the queue (shared/outbound/pause.ts).
  const run = () =>
    isReleaseMessage(message.body)
      ? releaseHeld(deps, message, starter, processBus())
      : isRecoverMessage(message.body)
        ? runRecover(deps, message, processBus())
        : runFirstAttempt(deps, message, starter, processBus());
  // Counters and health within FLUSH_INTERVAL_MS, not before the message is settled (endpoint-tallies.ts).
  return deps.tallies ? deps.tallies.track(deps, run, { idleFlush: 'timer' }) : run();
}

/** Dead-lettered first attempts (queue `outbound-first-attempt-deadletter`): their orchestration takes over. */
export async function firstAttemptDeadLetter(message: ReceivedMessage, bindings: QueueBindings): Promise<Settlement> {
  const client = bindings.durableClient;
  if (!client) throw new Error('the first-attempt dead-letter consumer has no durable client');
  return startDeadLetteredFirstAttempt(outboundDeps(), message, durableStarter(client));
}

/**
 * Starts deliveries whose orchestration was never confirmed started (shared/outbound/sweep), and
 * restarts the release of a resumed subscription whose worker died (shared/outbound/pause.ts).
 */
export async function startSweep(context: Parameters<typeof df.getClient>[0]): Promise<void> {
  const deps = outboundDeps();
  await startWaitingDeliveries(deps, durableStarter(df.getClient(context)));
  await restartStaleReleases(deps, processBus());
}

/** Purges outbound events, deliveries and attempts past OUTBOUND_RETENTION_DAYS. */
export async function retention(): Promise<void> {
  await purgeExpiredDeliveries(outboundDeps(), { retentionDays: settings().OUTBOUND_RETENTION_DAYS });
}
