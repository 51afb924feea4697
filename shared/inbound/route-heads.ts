import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/inbound/event-routes.ts, written once: functions/events-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const eventRouteHeads = {
  listEvents: {
    name: 'events-list',
    method: 'GET',
    route: 'v1/events',
    scope: 'events:read',
    operationId: 'listEvents',
  },
  getEvent: {
    name: 'events-get',
    method: 'GET',
    route: 'v1/events/{id}',
    scope: 'events:read',
    operationId: 'getEvent',
  },
} as const satisfies Record<string, RegisteredRouteHead>;

/**
 * The heads of shared/inbound/webhook-routes.ts, written once: functions/webhooks-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const webhookRouteHeads = {
  createWebhook: {
    name: 'webhooks-create',
    method: 'POST',
    route: 'v1/webhooks',
    scope: 'webhooks:write',
    operationId: 'createWebhook',
    idempotent: true,
  },
  listWebhooks: {
    name: 'webhooks-list',
    method: 'GET',
    route: 'v1/webhooks',
    scope: 'webhooks:read',
    operationId: 'listWebhooks',
  },
  getWebhook: {
    name: 'webhooks-get',
    method: 'GET',
    route: 'v1/webhooks/{id}',
    scope: 'webhooks:read',
    operationId: 'getWebhook',
  },
  deleteWebhook: {
    name: 'webhooks-delete',
    method: 'DELETE',
    route: 'v1/webhooks/{id}',
    scope: 'webhooks:write',
    operationId: 'deleteWebhook',
  },
  disableWebhook: {
    name: 'webhooks-disable',
    method: 'POST',
    route: 'v1/webhooks/{id}/disable',
    scope: 'webhooks:write',
    operationId: 'disableWebhook',
  },
  enableWebhook: {
    name: 'webhooks-enable',
    method: 'POST',
    route: 'v1/webhooks/{id}/enable',
    scope: 'webhooks:write',
    operationId: 'enableWebhook',
  },
  pauseWebhook: {
    name: 'webhooks-pause',
    method: 'POST',
    route: 'v1/webhooks/{id}/pause',
    scope: 'webhooks:write',
    operationId: 'pauseWebhook',
  },
  resumeWebhook: {
    name: 'webhooks-resume',
    method: 'POST',
    route: 'v1/webhooks/{id}/resume',
    scope: 'webhooks:write',
    operationId: 'resumeWebhook',
  },
  rotateWebhookSecret: {
    name: 'webhooks-rotate-secret',
    method: 'POST',
    route: 'v1/webhooks/{id}/rotate-secret',
    scope: 'webhooks:write',
    operationId: 'rotateWebhookSecret',
  },
  pushWebhook: {
    name: 'webhooks-push',
    method: 'POST',
    route: 'v1/webhooks/{id}/push',
    scope: 'webhooks:write',
    operationId: 'pushWebhook',
  },
  setWebhookFilters: {
    name: 'webhooks-set-filters',
    method: 'PUT',
    route: 'v1/webhooks/{id}/filters',
    scope: 'webhooks:write',
    operationId: 'setWebhookFilters',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
