import { nowMs } from '../clock';
import { logger } from '../observability/logger';
import { timeKey } from '../storage/keys';
import type { GraphLifecycleNotice } from '../vendors/microsoft365/subscriptions';
import type { InboundTables } from './tables';
import { readStoredRegistration, type VendorRegistration } from './vendor-registration';

/** Shared with the renewal timer (vendor-push.ts): the index partition and the webhook row key. */
export const RENEWAL_PARTITION = 'microsoft365';
export const WEBHOOK_ROW = 'webhook';

export function renewalKey(at: string, webhookId: string): string {
  return `${timeKey(Date.parse(at))}|${webhookId}`;
}

/**
 * Graph's lifecycle notifications for a pushed subscription, already verified by the same
 * clientState check as change notifications (receive.ts). Nothing is sent to Graph here — Graph
 * wants a quick 202 — so the verdicts are recorded on the registration and the work is left to the
 * renewal timer through a renewal row due now:
 * - `reauthorizationRequired`: the subscription is renewed (a renewal reauthorizes it);
 * - `subscriptionRemoved`: the registration shows inactive (`removedAt`) and is re-created;
 * - `missed`: Graph could not deliver some notifications; counted with the time of the last one so
 *   the operator sees that events were lost (the webhook's `vendorRegistration.missed`).
 * Notices for another subscription id (an older one of this webhook) are ignored.
 */
export async function recordGraphLifecycle(
  tables: Pick<InboundTables, 'webhooks' | 'renewals'>,
  tenantId: string,
  webhookId: string,
  notices: GraphLifecycleNotice[],
): Promise<{ recorded: number }> {
  const at = new Date(nowMs()).toISOString();
  let recorded = 0;
  let due = false;
  await tables.webhooks.update(webhookId, WEBHOOK_ROW, (current) => {
    recorded = 0;
    due = false;
    const registration = current ? readStoredRegistration(current) : undefined;
    if (!current || registration?.vendor !== 'microsoft365') return undefined;
    let next: VendorRegistration = registration;
    for (const notice of notices) {
      if (notice.subscriptionId !== registration.vendorId) continue;
      recorded++;
      switch (notice.lifecycleEvent) {
        case 'reauthorizationRequired':
          next = { ...next, actionDueAt: next.actionDueAt ?? at };
          due = true;
          break;
        case 'subscriptionRemoved':
          next = { ...next, removedAt: next.removedAt ?? at, actionDueAt: next.actionDueAt ?? at };
          due = true;
          break;
        case 'missed':
          next = { ...next, missed: { count: (next.missed?.count ?? 0) + 1, lastAt: at } };
          break;
      }
    }
    if (recorded === 0) return undefined;
    return { ...current, vendorRegistration: JSON.stringify(next), updatedAt: at };
  });
  if (recorded > 0) {
    const events = notices.map((n) => n.lifecycleEvent).join(',');
    logger.warn('Graph lifecycle notification recorded', { tenantId, webhookId, events });
  }
  if (due) {
    const stored = await tables.webhooks.get(webhookId, WEBHOOK_ROW);
    const dueAt = stored ? readStoredRegistration(stored.value)?.actionDueAt : undefined;
    if (dueAt) await tables.renewals.upsert(RENEWAL_PARTITION, renewalKey(dueAt, webhookId), { tenantId, webhookId });
  }
  return { recorded };
}
