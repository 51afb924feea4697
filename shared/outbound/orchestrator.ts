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
export const DELIVERY_ORCHESTRATOR = 'outbound-delivery-v1';
export const ATTEMPT_ACTIVITY = 'outbound-attempt-v1';
export const NEXT_ATTEMPT_ACTIVITY = 'outbound-next-attempt-v1';

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

export function* deliveryOrchestrator<T>(context: DeliveryOrchestrationContext<T>): Generator<T, DeliveryEnd, unknown> {
  const input = deliveryInputSchema.parse(context.df.getInput());
  for (let k = 1; k <= MAX_AUTOMATIC_ATTEMPTS; k++) {
    const attempt: AttemptInput = { ...input, k };
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
