import { invocationDurableClient } from '../bus/durable-binding';
import { outboundDeps } from './deps';
import type { EventType } from './event-types';
import { type PublishResult, publishToSubscribers } from './publish';
import { type DeliveryStarter, durableStarter, type OrchestrationClient } from './starter';

/**
 * The verb other capabilities call to publish an event to the tenant's subscribers (pipeline
 * stages, sync). The deliveries' orchestrations start at once with the durable client passed here
 * or, when none is, the one the running trigger declared (a queue trigger registered with
 * `{ durableClient: true }`, see shared/bus/durable-binding). Without either the deliveries are
 * stored `pending` and the start sweep starts them after its grace period (docs/outbound.md).
 * `key` (a newest-first id, e.g. the inbound event's) makes a repeated publication a no-op.
 */
export function publishEvent(
  tenantId: string,
  event: { type: EventType; data: unknown; source: string; key?: string },
  client?: OrchestrationClient | DeliveryStarter,
): Promise<PublishResult> {
  const given = client ?? invocationDurableClient();
  const starter = given && 'start' in given ? given : given ? durableStarter(given) : undefined;
  return publishToSubscribers(outboundDeps(), tenantId, event, starter);
}
