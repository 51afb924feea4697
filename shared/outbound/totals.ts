import { nowMs } from '../clock';
import type { OutboundDeps } from './deps';

/** Attempts and successes of the last `days` days (today included), from the analytics counters. */
export async function attemptTotals(
  deps: OutboundDeps,
  tenantId: string,
  subscriptionId: string,
  days = 7,
): Promise<{ attempts: number; successes: number; held: number; throttled: number }> {
  const to = nowMs();
  const totals = await deps.counters.totals(tenantId, to - (days - 1) * 86_400_000, to, 'day', {
    integrationType: 'outbound_webhook',
    integrationId: subscriptionId,
  });
  let attempts = 0;
  let successes = 0;
  // Controls counted beside the attempts (pause.ts, throttle.ts): not attempts themselves.
  const controls = { held: 0, throttled: 0 };
  for (const t of totals) {
    if (t.outcome === 'held' || t.outcome === 'throttled') {
      controls[t.outcome] += t.count;
      continue;
    }
    attempts += t.count;
    if (t.outcome === 'succeeded') successes += t.count;
  }
  return { attempts, successes, ...controls };
}
