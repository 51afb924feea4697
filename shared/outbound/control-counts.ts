import { errorFields, logger } from '../observability/logger';
import type { OutboundDeps } from './deps';

/**
 * Held and throttled deliveries in the analytics counters (docs/outbound.md, "Pause and resume",
 * "Throttling"): outcomes `held` and `throttled` of the subscription's `outbound_webhook` counter
 * beside its attempts, so the 7-day totals the subscription view reads (totals.ts) carry them
 * without another read. They are not transactions: the dashboard's success and failure counts do
 * not move. Counting never fails the work it counts.
 */
export type ControlOutcome = 'held' | 'throttled';

export async function countControl(
  deps: Pick<OutboundDeps, 'counters'>,
  tenantId: string,
  subscriptionId: string,
  outcome: ControlOutcome,
  by = 1,
): Promise<void> {
  if (by <= 0) return;
  try {
    await deps.counters.increment(
      { tenantId, integrationType: 'outbound_webhook', integrationId: subscriptionId, outcome, code: '-' },
      by,
    );
  } catch (error) {
    logger.warn('outbound control not counted', { tenantId, subscriptionId, outcome, ...errorFields(error) });
  }
}
