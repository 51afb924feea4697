import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/outbound/delivery-routes.ts, written once: functions/deliveries-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const deliveryRouteHeads = {
  listDeliveries: {
    name: 'deliveries-list',
    method: 'GET',
    route: 'v1/deliveries',
    scope: 'subscriptions:read',
    operationId: 'listDeliveries',
  },
  getDelivery: {
    name: 'deliveries-get',
    method: 'GET',
    route: 'v1/deliveries/{id}',
    scope: 'subscriptions:read',
    operationId: 'getDelivery',
  },
  retryDelivery: {
    name: 'deliveries-retry',
    method: 'POST',
    route: 'v1/deliveries/{id}/retry',
    scope: 'subscriptions:write',
    operationId: 'retryDelivery',
  },
  retryFailedDeliveries: {
    name: 'deliveries-retry-failed',
    method: 'POST',
    route: 'v1/deliveries/retry',
    scope: 'subscriptions:write',
    operationId: 'retryFailedDeliveries',
  },
} as const satisfies Record<string, RegisteredRouteHead>;

/**
 * The heads of shared/outbound/event-type-routes.ts, written once: functions/event-types-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const eventTypeRouteHeads = {
  listEventTypes: {
    name: 'event-types-get',
    method: 'GET',
    route: 'v1/event-types',
    scope: 'subscriptions:read',
    operationId: 'listEventTypes',
  },
} as const satisfies Record<string, RegisteredRouteHead>;

/**
 * The heads of shared/outbound/subscription-routes.ts, written once: functions/subscriptions-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const subscriptionRouteHeads = {
  createSubscription: {
    name: 'subscriptions-create',
    method: 'POST',
    route: 'v1/subscriptions',
    scope: 'subscriptions:write',
    operationId: 'createSubscription',
    idempotent: true,
  },
  listSubscriptions: {
    name: 'subscriptions-list',
    method: 'GET',
    route: 'v1/subscriptions',
    scope: 'subscriptions:read',
    operationId: 'listSubscriptions',
  },
  getSubscription: {
    name: 'subscriptions-get',
    method: 'GET',
    route: 'v1/subscriptions/{id}',
    scope: 'subscriptions:read',
    operationId: 'getSubscription',
  },
  updateSubscription: {
    name: 'subscriptions-update',
    method: 'PATCH',
    route: 'v1/subscriptions/{id}',
    scope: 'subscriptions:write',
    operationId: 'updateSubscription',
  },
  deleteSubscription: {
    name: 'subscriptions-delete',
    method: 'DELETE',
    route: 'v1/subscriptions/{id}',
    scope: 'subscriptions:write',
    operationId: 'deleteSubscription',
  },
  rotateSubscriptionSecret: {
    name: 'subscriptions-rotate-secret',
    method: 'POST',
    route: 'v1/subscriptions/{id}/rotate-secret',
    scope: 'subscriptions:write',
    operationId: 'rotateSubscriptionSecret',
  },
  pauseSubscription: {
    name: 'subscriptions-pause',
    method: 'POST',
    route: 'v1/subscriptions/{id}/pause',
    scope: 'subscriptions:write',
    operationId: 'pauseSubscription',
  },
  resumeSubscription: {
    name: 'subscriptions-resume',
    method: 'POST',
    route: 'v1/subscriptions/{id}/resume',
    scope: 'subscriptions:write',
    operationId: 'resumeSubscription',
  },
  recoverSubscription: {
    name: 'subscriptions-recover',
    method: 'POST',
    route: 'v1/subscriptions/{id}/recover',
    scope: 'subscriptions:write',
    operationId: 'recoverSubscription',
  },
  getSubscriptionRecover: {
    name: 'subscriptions-recover-get',
    method: 'GET',
    route: 'v1/subscriptions/{id}/recover',
    scope: 'subscriptions:read',
    operationId: 'getSubscriptionRecover',
  },
} as const satisfies Record<string, RegisteredRouteHead>;

/**
 * The heads of shared/outbound/publish-routes.ts, written once: functions/events-publish-api.ts
 * registers each under `name` (beside the durable client binding) without loading the capability.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const publishRouteHeads = {
  publishEvent: {
    name: 'events-publish',
    method: 'POST',
    route: 'v1/events/publish',
    scope: 'admin',
    operationId: 'publishEvent',
    idempotent: true,
  },
} as const satisfies Record<string, RegisteredRouteHead>;
