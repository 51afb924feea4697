import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/agents/routes.ts, written once: functions/agent-runs-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const agentsRouteHeads = {
  getAgentRun: {
    name: 'agent-runs-get',
    method: 'GET',
    route: 'v1/agent-runs/{id}',
    scope: 'events:read',
    operationId: 'getAgentRun',
  },
  listEventAgentRuns: {
    name: 'event-agent-runs-list',
    method: 'GET',
    route: 'v1/events/{id}/agent-runs',
    scope: 'events:read',
    operationId: 'listEventAgentRuns',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
