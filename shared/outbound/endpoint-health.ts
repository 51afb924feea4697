import { nowMs } from '../clock';
import type { OutboundDeps } from './deps';
import { disableSubscription } from './subscriptions';
import type { EndpointHealthRecord } from './tables';

/**
 * Endpoint health per subscription, updated after every attempt. A success is one unconditional
 * write (it resets the streak whatever the row held, so concurrent successes never contend); a
 * failure is an ETag read-modify-write that extends the streak. A streak with no success for
 * `disableAfterFailingMs` disables the subscription with the reason; events published while it is
 * off become `skipped` deliveries. Counts and the success rate come from the analytics counters.
 */
export async function recordEndpointHealth(
  deps: OutboundDeps,
  tenantId: string,
  subscriptionId: string,
  outcome: { success: boolean; statusCode?: number | undefined; error?: string | undefined },
): Promise<EndpointHealthRecord | undefined> {
  const at = new Date(nowMs()).toISOString();
  if (outcome.success) {
    const row: EndpointHealthRecord = { consecutiveFailures: 0, lastSuccessAt: at };
    await deps.tables.health.upsert(tenantId, subscriptionId, row);
    return row;
  }
  const updated = await deps.tables.health.update(
    tenantId,
    subscriptionId,
    (current) => {
      const next: EndpointHealthRecord = {
        ...(current ?? { consecutiveFailures: 0 }),
        consecutiveFailures: (current?.consecutiveFailures ?? 0) + 1,
        lastFailureAt: at,
        failingSince: current?.failingSince ?? at,
      };
      if (outcome.statusCode !== undefined) next.lastStatusCode = outcome.statusCode;
      else delete next.lastStatusCode;
      if (outcome.error) next.lastError = outcome.error.slice(0, 500);
      return next;
    },
    { maxAttempts: 20 },
  );
  const h = updated?.value;
  if (h?.failingSince && nowMs() - Date.parse(h.failingSince) >= deps.disableAfterFailingMs) {
    const hours = Math.round(deps.disableAfterFailingMs / 3_600_000);
    await disableSubscription(
      deps,
      tenantId,
      subscriptionId,
      `no successful delivery for ${hours} hours (failing since ${h.failingSince}, ${h.consecutiveFailures} consecutive failures)`,
    );
  }
  return h;
}
