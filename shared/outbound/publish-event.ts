import { processBus } from '../bus/process-bus';
import { outboundDeps } from './deps';
import type { EventType } from './event-types';
import { queueStarter } from './first-attempt';
import { type PublishResult, publishToSubscribers } from './publish';
import type { DeliveryStarter, OrchestrationClient } from './starter';

/**
 * The verb other capabilities call to publish an event to the tenant's subscribers (pipeline
 * stages, sync). Each delivery's first attempt goes to the first-attempt queue on the process bus
 * (shared/outbound/first-attempt.ts); its orchestration starts only if that attempt fails, so the
 * caller needs no durable client. A DeliveryStarter passed here replaces the queue (tests); a
 * durable client passed by an older caller is no longer needed and is not used. `key` (a
 * newest-first id, e.g. the inbound event's) makes a repeated publication a no-op.
 */
export function publishEvent(
  tenantId: string,
  event: { type: EventType; data: unknown; source: string; key?: string },
  client?: OrchestrationClient | DeliveryStarter,
): Promise<PublishResult> {
  const starter = client && 'start' in client ? client : queueStarter(processBus());
  return publishToSubscribers(outboundDeps(), tenantId, event, starter);
}
