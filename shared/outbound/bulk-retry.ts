import { DomainError } from '../errors/domain-error';
import { runManualAttempt } from './attempt';
import { listDeliveries } from './deliveries';
import type { OutboundDeps } from './deps';

export const MAX_BULK_RETRY = 100;

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
 * Attempts go one after another so one endpoint is not flooded by its own backlog.
 */
export async function retryFailedDeliveries(
  deps: OutboundDeps,
  tenantId: string,
  input: { subscriptionId: string; from: string; to: string; limit: number; cursor?: string | undefined },
): Promise<BulkRetryResult> {
  const sub = await deps.tables.subscriptions.get(tenantId, input.subscriptionId);
  if (!sub) throw new DomainError('not_found', `No subscription with id "${input.subscriptionId}" exists.`);
  if (!sub.value.enabled) {
    throw new DomainError('subscription_disabled', 'The subscription is disabled; enable it before retrying.', {
      subscriptionId: input.subscriptionId,
    });
  }
  const page = await listDeliveries(deps, tenantId, {
    subscriptionId: input.subscriptionId,
    status: 'failed',
    from: input.from,
    to: input.to,
    limit: Math.min(MAX_BULK_RETRY, input.limit),
    cursor: input.cursor,
  });
  const result: BulkRetryResult = {
    attempted: 0,
    succeeded: 0,
    stillFailing: 0,
    busy: 0,
    deliveryIds: [],
    nextCursor: page.nextCursor,
  };
  for (const delivery of page.items) {
    try {
      const outcome = await runManualAttempt(deps, tenantId, delivery.id);
      result.attempted++;
      result.deliveryIds.push(delivery.id);
      if (outcome.status === 'succeeded') result.succeeded++;
      else result.stillFailing++;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'attempt_in_flight') result.busy++;
      // A 410 during this run disabled the subscription: stop, and report what was done.
      else if (error instanceof DomainError && error.code === 'subscription_disabled') break;
      else throw error;
    }
  }
  return result;
}
