import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/tools/routes.ts, written once: functions/tools-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const toolsRouteHeads = {
  listTools: { name: 'tools-get', method: 'GET', route: 'v1/tools', scope: 'sops:read', operationId: 'listTools' },
} as const satisfies Record<string, RegisteredRouteHead>;
