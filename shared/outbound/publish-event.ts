import { processBus } from '../bus/process-bus';
import { outboundDeps } from './deps';
import type { EventType } from './event-types';
import { inlineFirstAttemptStarter, queueStarter } from './first-attempt';
import { type PublishResult, publishToSubscribers } from './publish';
import type { DeliveryStarter, OrchestrationClient } from './starter';

/**
 * The verb other capabilities call to publish an event to the tenant's subscribers (pipeline
 * stages, sync). Each delivery's first attempt goes to the first-attempt queue on the process bus
 * (shared/outbound/first-attempt.ts); its orchestration starts only if that attempt fails, so the
 * caller needs no durable client. `firstAttempt: 'inline'` sends attempt 1 here instead, before
 * returning, with the queue only as the fallback (inlineFirstAttemptStarter): for a caller whose
 * invocation lasts until it returns and can take a receiver's answer time (the pipeline's last
 * stage; docs/outbound.md). A DeliveryStarter passed here replaces either (tests); a durable client
 * passed by an older caller is no longer needed and is not used. `key` (a newest-first id, e.g. the
 * inbound event's) makes a repeated publication a no-op.
 */
export function publishEvent(
  tenantId: string,
  event: { type: EventType; data: unknown; source: string; key?: string; repeat?: boolean },
  client?: OrchestrationClient | DeliveryStarter,
  options: { firstAttempt?: 'queue' | 'inline' } = {},
): Promise<PublishResult> {
  const deps = outboundDeps();
  const starter =
    client && 'start' in client
      ? client
      : options.firstAttempt === 'inline'
        ? inlineFirstAttemptStarter(deps, processBus())
        : queueStarter(processBus());
  return publishToSubscribers(deps, tenantId, event, starter);
}
