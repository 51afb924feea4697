import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/probes/routes.ts, written once: functions/integrations-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const probesRouteHeads = {
  // Named to sort before integrations-get: the host tries routes in function-name order and the first
  // match wins, so `v1/integrations/{id}` must not come first (docs/decisions.md §44).
  getIntegrationStatus: {
    name: 'integrations-all-status',
    method: 'GET',
    route: 'v1/integrations/status',
    scope: 'integrations:read',
    operationId: 'getIntegrationStatus',
  },
  getIntegrationHealth: {
    name: 'integrations-health',
    method: 'GET',
    route: 'v1/integrations/{id}/health',
    scope: 'integrations:read',
    operationId: 'getIntegrationHealth',
  },
  recheckIntegration: {
    name: 'integrations-recheck',
    method: 'POST',
    route: 'v1/integrations/{id}/recheck',
    scope: 'integrations:write',
    operationId: 'recheckIntegration',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
