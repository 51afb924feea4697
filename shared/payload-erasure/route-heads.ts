import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/payload-erasure/routes.ts, written once: functions/events-payload-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const payloadErasureRouteHeads = {
  eraseEventPayload: {
    name: 'events-payload-erase',
    method: 'DELETE',
    route: 'v1/events/{id}/payload',
    scope: 'admin',
    operationId: 'eraseEventPayload',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
