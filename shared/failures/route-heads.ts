import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/failures/routes.ts, written once: functions/events-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const failuresRouteHeads = {
  listFailures: {
    name: 'failures-list',
    method: 'GET',
    route: 'v1/failures',
    scope: 'events:read',
    operationId: 'listFailures',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
