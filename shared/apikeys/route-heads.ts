import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/apikeys/routes.ts, written once: functions/api-keys-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const apikeysRouteHeads = {
  createApiKey: {
    name: 'api-keys-create',
    method: 'POST',
    route: 'v1/api-keys',
    scope: 'apikeys:write',
    operationId: 'createApiKey',
    idempotent: true,
  },
  listApiKeys: {
    name: 'api-keys-list',
    method: 'GET',
    route: 'v1/api-keys',
    scope: 'apikeys:write',
    operationId: 'listApiKeys',
  },
  getApiKey: {
    name: 'api-keys-get',
    method: 'GET',
    route: 'v1/api-keys/{id}',
    scope: 'apikeys:write',
    operationId: 'getApiKey',
  },
  revokeApiKey: {
    name: 'api-keys-revoke',
    method: 'DELETE',
    route: 'v1/api-keys/{id}',
    scope: 'apikeys:write',
    operationId: 'revokeApiKey',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
