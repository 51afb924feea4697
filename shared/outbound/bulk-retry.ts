import { nowMs } from '../clock';
import { DomainError } from '../errors/domain-error';
import { runManualAttempt } from './attempt';
import { listDeliveries } from './deliveries';
import type { OutboundDeps } from './deps';

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
}

export interface BulkRetryResult {
  attempted: number;
  succeeded: number;
  stillFailing: number;
  /** Deliveries left alone because an attempt was in flight. */
  busy: number;
  deliveryIds: string[];
  /** More failed deliveries in the range: call again with this cursor. */
  nextCursor: string | null;
}

/**
 * A manual attempt for each `failed` delivery of one subscription in a time range (at most
 * MAX_BULK_RETRY per call, oldest page first as the list gives them; page on with the cursor).
 * Attempts go one after another so one endpoint is not flooded by its own backlog. The list is read
 * a chunk at a time and the call stops once its time budget is spent, answering with the cursor of
 * the next chunk: the caller continues with it, nothing is retried twice and nothing is skipped.
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
  };
  let seen = 0;
  let first = true;
  while (seen < limit && (first || result.nextCursor !== null)) {
    // At least one chunk per call, so every call makes progress whatever the budget.
    if (!first && nowMs() - started >= limits.budgetMs) break;
    first = false;
    const page = await listDeliveries(deps, tenantId, {
      subscriptionId: input.subscriptionId,
      status: 'failed',
      from: input.from,
      to: input.to,
      limit: Math.min(limits.chunk, limit - seen),
      cursor: result.nextCursor ?? undefined,
    });
    result.nextCursor = page.nextCursor;
    for (const delivery of page.items) {
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
