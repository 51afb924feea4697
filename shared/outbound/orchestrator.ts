import { z } from 'zod';
import { MAX_AUTOMATIC_ATTEMPTS, waitAfterAttempt } from './schedule';
import { type AutomaticOutcome, automaticOutcomeSchema } from './tables';

/**
 * The delivery orchestration (docs/design.md §3.1, §8.2, §8.3): one instance per delivery, instance id = delivery
 * id. Deterministic — time only from `currentUtcDateTime`, every effect in an activity — and it
 * carries ids only: the signing secret is loaded by the attempt activity (docs/design.md §10.2).
 *
 * Versioning: the names carry the version. A change to the action sequence gets new names (v2)
 * registered beside these, so instances in flight finish on the code that started them.
 */
export const DELIVERY_ORCHESTRATOR = 'outbound-delivery-v2';
/** Registered still, for instances started before retries were throttled; nothing new starts on it. */
export const DELIVERY_ORCHESTRATOR_V1 = 'outbound-delivery-v1';
export const ATTEMPT_ACTIVITY = 'outbound-attempt-v1';
export const NEXT_ATTEMPT_ACTIVITY = 'outbound-next-attempt-v1';
/** v2: a retry of a rate-limited subscription reserves its send slot (throttle.ts) before it goes. */
export const SEND_SLOT_ACTIVITY = 'outbound-send-slot-v1';

export const deliveryInputSchema = z.strictObject({
  v: z.literal(1),
  tenantId: z.string().min(1),
  deliveryId: z.string().min(1),
});
export type DeliveryInput = z.infer<typeof deliveryInputSchema>;

export const attemptInputSchema = deliveryInputSchema.extend({
  k: z.number().int().min(1).max(MAX_AUTOMATIC_ATTEMPTS),
});
export type AttemptInput = z.infer<typeof attemptInputSchema>;

export const nextAttemptInputSchema = deliveryInputSchema.extend({ nextAttemptAt: z.iso.datetime() });
export type NextAttemptInput = z.infer<typeof nextAttemptInputSchema>;

export const sendSlotInputSchema = attemptInputSchema;
/** The slot to wait for, or null to send at once (no limit, or the slot is now). */
export const sendSlotSchema = z.strictObject({ at: z.iso.datetime() }).nullable();
export type SendSlot = z.infer<typeof sendSlotSchema>;

export type DeliveryEnd = 'succeeded' | 'failed' | 'gone' | 'stopped';

/** The slice of durable-functions' OrchestrationContext the orchestrator uses (T = its Task type). */
export interface DeliveryOrchestrationContext<T> {
  df: {
    getInput(): unknown;
    readonly currentUtcDateTime: Date;
    callActivity(name: string, input?: unknown): T;
    createTimer(fireAt: Date): T;
    setCustomStatus(status: unknown): void;
  };
}

/** v1: the schedule alone (instances started before v2 finish on it). */
export function* deliveryOrchestrator<T>(context: DeliveryOrchestrationContext<T>): Generator<T, DeliveryEnd, unknown> {
  return yield* orchestrate(context, false);
}

/**
 * v2: as v1, and each automatic retry (attempt 2-5), once its schedule's wait is over, reserves a
 * send slot of its subscription's rate limit in an activity and waits for it on a Durable timer —
 * never asleep in an activity — so retries count against the limit like first attempts.
 */
export function* throttledDeliveryOrchestrator<T>(
  context: DeliveryOrchestrationContext<T>,
): Generator<T, DeliveryEnd, unknown> {
  return yield* orchestrate(context, true);
}

function* orchestrate<T>(
  context: DeliveryOrchestrationContext<T>,
  throttled: boolean,
): Generator<T, DeliveryEnd, unknown> {
  const input = deliveryInputSchema.parse(context.df.getInput());
  for (let k = 1; k <= MAX_AUTOMATIC_ATTEMPTS; k++) {
    const attempt: AttemptInput = { ...input, k };
    if (throttled && k > 1) {
      const slot = sendSlotSchema.parse(yield context.df.callActivity(SEND_SLOT_ACTIVITY, attempt));
      if (slot && Date.parse(slot.at) > context.df.currentUtcDateTime.getTime()) {
        context.df.setCustomStatus({ attempt: k - 1, nextAttemptAt: slot.at, waitingForSlot: true });
        yield context.df.createTimer(new Date(slot.at));
      }
    }
    const outcome: AutomaticOutcome = automaticOutcomeSchema.parse(
      yield context.df.callActivity(ATTEMPT_ACTIVITY, attempt),
    );
    if (outcome.kind !== 'retry') return outcome.kind;
    // "From the end of the failed attempt": this episode runs after the activity returned.
    const fireAt = new Date(context.df.currentUtcDateTime.getTime() + waitAfterAttempt(k, outcome.retryAfterMs));
    const next: NextAttemptInput = { ...input, nextAttemptAt: fireAt.toISOString() };
    yield context.df.callActivity(NEXT_ATTEMPT_ACTIVITY, next);
    context.df.setCustomStatus({ attempt: k, nextAttemptAt: next.nextAttemptAt });
    yield context.df.createTimer(fireAt);
  }
  // Unreachable: attempt 5 never answers `retry` (the activity reports `failed`).
  return 'failed';
}
