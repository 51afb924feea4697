import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/replay/routes.ts, written once: functions/events-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const replayRouteHeads = {
  replayEvent: {
    name: 'events-replay',
    method: 'POST',
    route: 'v1/events/{id}/replay',
    scope: 'events:replay',
    operationId: 'replayEvent',
  },
  replayEvents: {
    name: 'events-replay-bulk',
    method: 'POST',
    route: 'v1/events/replay',
    scope: 'events:replay',
    operationId: 'replayEvents',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
