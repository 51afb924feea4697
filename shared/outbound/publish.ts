import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import { newestFirstId } from '../storage/keys';
import { insertDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import { type EventType, patternMatches, validateEventData } from './event-types';
import type { DeliveryStarter } from './starter';
import { type DeliveryRecord, dayPartition } from './tables';

export interface PublishedEvent {
  type: EventType;
  data: unknown;
  /** Who produced it: a vendor id for pipeline and sync events, `admin` for the publish API. */
  source: string;
}

export interface PublishResult {
  eventId: string;
  deliveries: number;
  /** Deliveries created `skipped` because their subscription is disabled (counted in `deliveries`). */
  skipped: number;
}

/**
 * Publish one event: validate it, store it, create one delivery per matching subscription and
 * start one orchestration per delivery. Disabled subscriptions get a `skipped` delivery (retryable
 * after re-enabling) and no orchestration. Rows are written before anything starts, so a start
 * that fails leaves a visible `pending` delivery, never a lost one.
 */
export async function publishToSubscribers(
  deps: OutboundDeps,
  tenantId: string,
  event: PublishedEvent,
  starter: DeliveryStarter | undefined,
): Promise<PublishResult> {
  const data = validateEventData(event.type, event.data);
  const at = nowMs();
  const publishedAt = new Date(at).toISOString();
  const eventId = newestFirstId(at);
  const matching: { id: string; enabled: boolean; disabledReason?: string | undefined }[] = [];
  for await (const sub of deps.tables.subscriptions.iterate(tenantId)) {
    const s = sub.value;
    if (!s.eventTypes.some((p) => patternMatches(p, event.type))) continue;
    if (s.products.length > 0 && !s.products.includes(event.source)) continue;
    matching.push({ id: sub.rowKey, enabled: s.enabled, disabledReason: s.disabledReason });
  }
  await deps.tables.events.insert(dayPartition(tenantId, eventId), eventId, {
    type: event.type,
    data,
    source: event.source,
    publishedAt,
    deliveries: matching.length,
  });
  const toStart: string[] = [];
  for (const sub of matching) {
    const id = newestFirstId();
    const record: DeliveryRecord = {
      subscriptionId: sub.id,
      eventId,
      eventType: event.type,
      status: sub.enabled ? 'pending' : 'skipped',
      createdAt: publishedAt,
      updatedAt: publishedAt,
      attemptCount: 0,
      automaticAttempts: 0,
      ...(sub.enabled
        ? {}
        : { statusReason: `the subscription is disabled: ${sub.disabledReason ?? 'no reason given'}` }),
    };
    await insertDelivery(deps, tenantId, id, record);
    if (sub.enabled) toStart.push(id);
  }
  if (starter) {
    for (const id of toStart) {
      await starter.start(tenantId, id).catch((error: unknown) => {
        // The delivery stays `pending`; an admin sees it and can retry it by hand.
        logger.error('delivery not started', { tenantId, deliveryId: id, ...errorFields(error) });
      });
    }
  }
  return { eventId, deliveries: matching.length, skipped: matching.length - toStart.length };
}
