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
