import { outboundDeps } from './deps';
import type { EventType } from './event-types';
import { type PublishResult, publishToSubscribers } from './publish';
import { type DeliveryStarter, durableStarter, type OrchestrationClient } from './starter';

export type { EventType } from './event-types';
export type { DeliveryStarter, OrchestrationClient } from './starter';

/**
 * The verb other capabilities call to publish an event to the tenant's subscribers (pipeline
 * stages, sync). Pass the durable client of the calling function (`df.getClient(context)` with a
 * `df.input.durableClient()` extra input) so each delivery's orchestration starts at once; without
 * one the deliveries are stored `pending` and can be sent with a manual or bulk retry.
 */
export function publishEvent(
  tenantId: string,
  event: { type: EventType; data: unknown; source: string },
  client?: OrchestrationClient | DeliveryStarter,
): Promise<PublishResult> {
  const starter = client && 'start' in client ? client : client ? durableStarter(client) : undefined;
  return publishToSubscribers(outboundDeps(), tenantId, event, starter);
}
