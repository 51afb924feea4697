import { errorFields, logger } from '../observability/logger';
import { DELIVERY_ORCHESTRATOR, type DeliveryInput } from './orchestrator';

/** The part of durable-functions' DurableClient that starting a delivery needs. */
export interface OrchestrationClient {
  getStatus(instanceId: string): Promise<{ runtimeStatus?: unknown } | undefined>;
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
}

export interface DeliveryStarter {
  /** `eventId` names the delivery's start marker (a starter that hands the marker off needs it). */
  start(tenantId: string, deliveryId: string, eventId?: string): Promise<'started' | 'exists'>;
  /**
   * The start hands the delivery to a worker that removes the start marker itself once the
   * delivery is settled or in its orchestration (the first-attempt queue): publish leaves it.
   */
  handsOffMarker?: boolean;
}

function isNotFound(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /404|not found/i.test(text);
}

/**
 * Start the delivery's orchestration with instance id = delivery id, reading the status first
 * (docs/design.md §8.2, §8.3): an instance that exists, running or finished, is left alone, so a repeated start
 * is a no-op. (`getStatus` throws on 404; a 409 from a racing start means the other one won.)
 */
export function durableStarter(client: OrchestrationClient): DeliveryStarter {
  return {
    async start(tenantId, deliveryId) {
      try {
        const existing = await client.getStatus(deliveryId);
        if (existing?.runtimeStatus) return 'exists';
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const input: DeliveryInput = { v: 1, tenantId, deliveryId };
      try {
        await client.startNew(DELIVERY_ORCHESTRATOR, { instanceId: deliveryId, input });
        return 'started';
      } catch (error) {
        if (/409|conflict|already exists/i.test(error instanceof Error ? error.message : String(error)))
          return 'exists';
        logger.warn('delivery orchestration not started', { deliveryId, ...errorFields(error) });
        throw error;
      }
    },
  };
}
