import { errorFields, logger } from '../observability/logger';
import { DELIVERY_ORCHESTRATOR, type DeliveryInput } from './orchestrator';
import type { DeliveryRecord } from './tables';

/** The part of durable-functions' DurableClient that starting a delivery needs. */
export interface OrchestrationClient {
  getStatus(instanceId: string): Promise<{ runtimeStatus?: unknown } | undefined>;
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
}

/**
 * What publish just stored, handed to a starter that can use it (the first-attempt queue carries it
 * in the message, so the worker sends without reading the rows again).
 */
export interface StoredDelivery {
  delivery: DeliveryRecord;
  /** The delivery row's ETag from the insert transaction ('' when the service's answer had none). */
  etag: string;
  /** The subscription row's ETag as publish read it: the worker's cached copy must be that version. */
  subscriptionEtag: string;
}

export interface DeliveryStarter {
  /**
   * Whether this starter sends attempt 1 of a delivery to this subscription before `start`
   * returns, inside an invocation that a crash repeats (the pipeline's stage message). Asked by a
   * keyed publication before it inserts: those rows go in unfiled (DeliveryRecord `unfiled`), and
   * the starter files a row's status key before it leaves the delivery to a queue after all.
   */
  attemptsInline?(tenantId: string, subscriptionId: string): Promise<boolean>;
  /** `eventId` names the publication; `stored` is the row as just inserted (new deliveries only). */
  start(tenantId: string, deliveryId: string, eventId?: string, stored?: StoredDelivery): Promise<'started' | 'exists'>;
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

/**
 * Deliveries a keyed publication inserted unfiled whose handover failed (an error after the
 * insert, or a start that threw): the start sweep cannot find them, so the publisher must let the
 * publication be repeated — the pipeline abandons its stage message — rather than log and go on.
 */
export class UnstartedDeliveriesError extends Error {
  constructor(
    readonly tenantId: string,
    readonly deliveryIds: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`${deliveryIds.length} unfiled deliveries were not handed over; repeat the publication`, options);
    this.name = 'UnstartedDeliveriesError';
  }
}
