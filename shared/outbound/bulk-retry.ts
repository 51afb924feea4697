import { setTimeout as sleepFor } from 'node:timers/promises';
import { nowMs } from '../clock';
import { DomainError } from '../errors/domain-error';
import { runManualAttempt } from './attempt';
import { listDeliveries } from './deliveries';
import type { OutboundDeps } from './deps';
import { boundedSendWait } from './throttle';

export const MAX_BULK_RETRY = 100;

/**
 * How long one call keeps starting attempts. Azure's front end drops an HTTP response after 230 s
 * and an attempt may take up to 10 s, so a call checks the budget between chunks of
 * BULK_RETRY_CHUNK attempts: at worst 60 s + 10 × 10 s = 160 s (docs/decisions.md §44).
 */
export const BULK_RETRY_BUDGET_MS = 60_000;
export const BULK_RETRY_CHUNK = 10;

export interface BulkRetryLimits {
  budgetMs: number;
  chunk: number;
  /** Waits for a throttled subscription's next slot (tests move their clock instead). */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => sleepFor(ms).then(() => undefined);

export interface BulkRetryResult {
  attempted: number;
  succeeded: number;
  stillFailing: number;
  /** Deliveries left alone because an attempt was in flight. */
  busy: number;
  deliveryIds: string[];
  /** More failed deliveries in the range: call again with this cursor. */
  nextCursor: string | null;
  /**
   * Set when the subscription's rate limit (or a receiver's 429 slowdown) stopped this call: its
   * next send slot is later than the call may wait. Call again with nextCursor at this time.
   */
  throttledUntil: string | null;
}

/**
 * A manual attempt for each `failed` delivery of one subscription in a time range (at most
 * MAX_BULK_RETRY per call, oldest page first as the list gives them; page on with the cursor).
 * Attempts go one after another so one endpoint is not flooded by its own backlog. The list is read
 * a chunk at a time and the call stops once its time budget is spent, answering with the cursor of
 * the next chunk: the caller continues with it, nothing is retried twice and nothing is skipped.
 * A rate-limited subscription's attempts reserve its send slots like every other send (throttle.ts):
 * the call sleeps until a slot that falls within its budget, and stops at the first delivery whose
 * slot would not, answering the cursor of that delivery and `throttledUntil`.
 */
export async function retryFailedDeliveries(
  deps: OutboundDeps,
  tenantId: string,
  input: { subscriptionId: string; from: string; to: string; limit: number; cursor?: string | undefined },
  limits: BulkRetryLimits = { budgetMs: BULK_RETRY_BUDGET_MS, chunk: BULK_RETRY_CHUNK },
): Promise<BulkRetryResult> {
  const started = nowMs();
  const sub = await deps.tables.subscriptions.get(tenantId, input.subscriptionId);
  if (!sub) throw new DomainError('not_found', `No subscription with id "${input.subscriptionId}" exists.`);
  if (!sub.value.enabled) {
    throw new DomainError('subscription_disabled', 'The subscription is disabled; enable it before retrying.', {
      subscriptionId: input.subscriptionId,
    });
  }
  const limit = Math.min(MAX_BULK_RETRY, input.limit);
  const result: BulkRetryResult = {
    attempted: 0,
    succeeded: 0,
    stillFailing: 0,
    busy: 0,
    deliveryIds: [],
    nextCursor: input.cursor ?? null,
    throttledUntil: null,
  };
  const sleep = limits.sleep ?? realSleep;
  let seen = 0;
  let first = true;
  while (seen < limit && (first || result.nextCursor !== null)) {
    // At least one chunk per call, so every call makes progress whatever the budget.
    if (!first && nowMs() - started >= limits.budgetMs) break;
    first = false;
    const chunkCursor = result.nextCursor ?? undefined;
    const query = { subscriptionId: input.subscriptionId, status: 'failed' as const, from: input.from, to: input.to };
    const page = await listDeliveries(deps, tenantId, {
      ...query,
      limit: Math.min(limits.chunk, limit - seen),
      cursor: chunkCursor,
    });
    result.nextCursor = page.nextCursor;
    for (const [i, delivery] of page.items.entries()) {
      const health = await deps.tables.health.get(tenantId, input.subscriptionId);
      // At least the first slot of a call may be waited for, so a call with a spent budget still moves.
      const maxWaitMs = Math.max(limits.budgetMs - (nowMs() - started), result.attempted === 0 ? 1_000 : 0);
      const slot = await boundedSendWait(deps, tenantId, sub, health?.value, maxWaitMs);
      if (!slot.reserved) {
        // Stop before this delivery: the next call begins at it.
        result.nextCursor =
          i === 0 ? (chunkCursor ?? null) : await cursorAt(deps, tenantId, query, chunkCursor, delivery.id, i);
        result.throttledUntil = new Date(nowMs() + slot.waitMs).toISOString();
        return result;
      }
      if (slot.waitMs > 0) await sleep(slot.waitMs);
      seen++;
      try {
        const outcome = await runManualAttempt(deps, tenantId, delivery.id);
        result.attempted++;
        result.deliveryIds.push(delivery.id);
        if (outcome.status === 'succeeded') result.succeeded++;
        else result.stillFailing++;
      } catch (error) {
        if (error instanceof DomainError && error.code === 'attempt_in_flight') result.busy++;
        // An erased payload has nothing to send: not attempted, not counted (docs/storage.md).
        else if (error instanceof DomainError && error.code === 'payload_erased') continue;
        // A 410 during this run disabled the subscription: stop, and report what was done.
        else if (error instanceof DomainError && error.code === 'subscription_disabled') return result;
        else throw error;
      }
    }
  }
  return result;
}

/**
 * The list's cursor at `deliveryId`, which was item `index` of the chunk read from `chunkCursor`.
 * Deliveries of the chunk retried with success no longer match `failed`, so the cursor after
 * `index` items would now run past it: the chunk is read again to find where it stands today.
 */
async function cursorAt(
  deps: OutboundDeps,
  tenantId: string,
  query: { subscriptionId: string; status: 'failed'; from: string; to: string },
  chunkCursor: string | undefined,
  deliveryId: string,
  index: number,
): Promise<string | null> {
  const again = await listDeliveries(deps, tenantId, { ...query, limit: index + 1, cursor: chunkCursor });
  const at = again.items.findIndex((item) => item.id === deliveryId);
  // Gone meanwhile (retried by someone else): the chunk again rather than skip what follows it.
  if (at < 0) return chunkCursor ?? null;
  if (at === 0) return chunkCursor ?? null;
  return (await listDeliveries(deps, tenantId, { ...query, limit: at, cursor: chunkCursor })).nextCursor;
}
