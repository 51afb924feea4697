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
  return applyEndpointOutcomes(deps, tenantId, subscriptionId, [{ ...outcome, at: nowMs() }]);
}

export interface EndpointOutcome {
  success: boolean;
  statusCode?: number | undefined;
  error?: string | undefined;
  at: number;
}

function withFailure(row: EndpointHealthRecord, f: EndpointOutcome): EndpointHealthRecord {
  const at = new Date(f.at).toISOString();
  const next: EndpointHealthRecord = {
    ...row,
    consecutiveFailures: row.consecutiveFailures + 1,
    lastFailureAt: at,
    failingSince: row.failingSince ?? at,
  };
  if (f.statusCode !== undefined) next.lastStatusCode = f.statusCode;
  else delete next.lastStatusCode;
  if (f.error) next.lastError = f.error.slice(0, 500);
  return next;
}

/**
 * Several outcomes of one subscription in the order they happened, as one write (the batched
 * path, endpoint-tallies.ts; one outcome is the same as recordEndpointHealth). The last success
 * resets the streak whatever the row held, so from there it is an unconditional write; failures
 * with no success among them extend the stored streak under its ETag.
 */
export async function applyEndpointOutcomes(
  deps: OutboundDeps,
  tenantId: string,
  subscriptionId: string,
  outcomes: readonly EndpointOutcome[],
): Promise<EndpointHealthRecord | undefined> {
  const lastSuccess = outcomes.findLastIndex((o) => o.success);
  let h: EndpointHealthRecord | undefined;
  if (lastSuccess >= 0) {
    let row: EndpointHealthRecord = {
      consecutiveFailures: 0,
      lastSuccessAt: new Date(outcomes[lastSuccess]!.at).toISOString(),
    };
    for (const f of outcomes.slice(lastSuccess + 1)) row = withFailure(row, f);
    await deps.tables.health.upsert(tenantId, subscriptionId, row);
    if (row.consecutiveFailures === 0) return row;
    h = row;
  } else {
    const updated = await deps.tables.health.update(
      tenantId,
      subscriptionId,
      (current) => {
        let row: EndpointHealthRecord = current ?? { consecutiveFailures: 0 };
        for (const f of outcomes) row = withFailure(row, f);
        return row;
      },
      { maxAttempts: 20 },
    );
    h = updated?.value;
  }
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
