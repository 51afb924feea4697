import { nowMs } from '../clock';
import type { OutboundDeps } from './deps';
import { disableSubscription } from './subscriptions';
import type { HealthRecord } from './tables';

/**
 * Endpoint health per subscription: attempts, successes, the current failure streak and the last
 * success, updated after every attempt (ETag read-modify-write, so concurrent attempts never lose
 * one). A streak with no success for `disableAfterFailingMs` disables the subscription with the
 * reason; events published while it is off become `skipped` deliveries.
 */
export async function recordAttemptHealth(
  deps: OutboundDeps,
  tenantId: string,
  subscriptionId: string,
  outcome: { success: boolean; statusCode?: number | undefined; error?: string | undefined },
): Promise<HealthRecord | undefined> {
  const at = new Date(nowMs()).toISOString();
  const updated = await deps.tables.health.update(
    tenantId,
    subscriptionId,
    (current) => {
      const base: HealthRecord = current ?? { attempts: 0, successes: 0, consecutiveFailures: 0 };
      const next: HealthRecord = { ...base, attempts: base.attempts + 1 };
      if (outcome.statusCode !== undefined) next.lastStatusCode = outcome.statusCode;
      else delete next.lastStatusCode;
      if (outcome.success) {
        next.successes = base.successes + 1;
        next.consecutiveFailures = 0;
        next.lastSuccessAt = at;
        delete next.failingSince;
        delete next.lastError;
      } else {
        next.consecutiveFailures = base.consecutiveFailures + 1;
        next.lastFailureAt = at;
        next.failingSince = base.failingSince ?? at;
        if (outcome.error) next.lastError = outcome.error.slice(0, 500);
      }
      return next;
    },
    { maxAttempts: 20 },
  );
  const h = updated?.value;
  if (h && !outcome.success && h.failingSince && nowMs() - Date.parse(h.failingSince) >= deps.disableAfterFailingMs) {
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
