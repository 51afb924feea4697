import { SPAN_NAMES } from '../observability/telemetry-names';
import type { ReceivedMessage, SendOptions } from './port';

/**
 * The telemetry module, loaded on the first send or delivery rather than when the triggers that
 * import this file register (cold start, docs/benchmarks.md).
 */
const telemetry = () => import('../observability/telemetry');

/**
 * One trace per event across queue hops: a send runs in a producer span whose W3C trace context
 * travels in the message's application properties (`traceparent`, `tracestate`), and the trigger
 * continues it in a consumer span (docs/telemetry.md). Both adapters send through here, so the
 * emulated bus carries the same properties Service Bus does. Telemetry off: the send is unchanged.
 */
export async function sendTraced(
  queue: string,
  options: SendOptions,
  send: (options: SendOptions) => Promise<void>,
): Promise<void> {
  const { inSpan, traceProperties } = await telemetry();
  return inSpan(
    SPAN_NAMES.queueSend,
    { kind: 'producer', attributes: { queue, correlationId: options.correlationId } },
    () => {
      const trace = traceProperties();
      if (Object.keys(trace).length === 0) return send(options);
      return send({ ...options, applicationProperties: { ...(options.applicationProperties ?? {}), ...trace } });
    },
  );
}

const property = (message: ReceivedMessage, name: string): string | undefined => {
  const value = message.applicationProperties[name];
  return typeof value === 'string' ? value : undefined;
};

/** Handles one delivery inside a consumer span continuing the sender's trace. */
export async function consumeTraced<T>(queue: string, message: ReceivedMessage, handle: () => Promise<T>): Promise<T> {
  const { inSpan } = await telemetry();
  return inSpan(
    SPAN_NAMES.queueProcess,
    {
      kind: 'consumer',
      parent: message.applicationProperties,
      attributes: {
        queue,
        correlationId: message.correlationId,
        deliveryCount: message.deliveryCount,
        // The pipeline's stage messages name these (shared/events/contract.ts, FAILURE_PROPERTIES).
        tenantId: property(message, 'tenantId'),
        eventId: property(message, 'eventId'),
        stage: property(message, 'stage'),
      },
    },
    handle,
  );
}
