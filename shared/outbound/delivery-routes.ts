import { defineApiRoute, problemSchema } from '../api/api-route';
import {
  bulkRetryBody,
  bulkRetrySchema,
  deliveryListSchema,
  deliveryQuery,
  deliverySchema,
  idParams,
  manualAttemptSchema,
} from './api-schemas';
import { runManualAttempt } from './attempt';
import { retryFailedDeliveries } from './bulk-retry';
import { getDelivery, listDeliveries } from './deliveries';
import { type OutboundDeps, outboundDeps } from './deps';
import { deliveryRouteHeads as heads } from './route-heads';

const tags = ['Deliveries'];

/** API routes by operationId; functions/deliveries-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  listDeliveries: defineApiRoute({
    ...heads.listDeliveries,
    summary: 'The delivery log, newest first (filters: subscription, event type, status, time range)',
    tags,
    query: deliveryQuery,
    responses: { 200: { description: 'A page of deliveries.', schema: deliveryListSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await listDeliveries(outboundDeps(), principal.tenantId, query),
    }),
  }),
  getDelivery: defineApiRoute({
    ...heads.getDelivery,
    summary: 'One delivery with every attempt',
    tags,
    params: idParams,
    responses: {
      200: { description: 'The delivery.', schema: deliverySchema },
      404: { description: 'No such delivery in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getDelivery(outboundDeps(), principal.tenantId, params.id),
    }),
  }),
  retryDelivery: defineApiRoute({
    ...heads.retryDelivery,
    summary: 'Send one manual attempt now (outside the automatic schedule)',
    tags,
    params: idParams,
    responses: {
      200: { description: 'The attempt and the delivery status after it.', schema: manualAttemptSchema },
      404: { description: 'No such delivery in this tenant.', schema: problemSchema },
      409: { description: 'An attempt is in flight, or the subscription is disabled.', schema: problemSchema },
      410: { description: "The delivery's payload was erased; there is nothing to send.", schema: problemSchema },
    },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await tracked((deps) => runManualAttempt(deps, principal.tenantId, params.id)),
    }),
  }),
  retryFailedDeliveries: defineApiRoute({
    ...heads.retryFailedDeliveries,
    summary: 'A manual attempt for each failed delivery of a subscription in a time range (100 per call)',
    tags,
    body: bulkRetryBody,
    responses: {
      200: { description: 'What was retried; page on with nextCursor.', schema: bulkRetrySchema },
      409: { description: 'The subscription is disabled.', schema: problemSchema },
    },
    handle: async ({ principal, body }) => ({
      status: 200,
      body: await tracked((deps) => retryFailedDeliveries(deps, principal.tenantId, body)),
    }),
  }),
};

/** A request's attempts with their counters and health written before it answers (endpoint-tallies.ts). */
function tracked<T>(run: (deps: OutboundDeps) => Promise<T>): Promise<T> {
  const deps = outboundDeps();
  return deps.tallies ? deps.tallies.track(deps, () => run(deps)) : run(deps);
}
