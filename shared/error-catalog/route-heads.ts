import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/error-catalog/routes.ts, written once: functions/error-catalog-api.ts registers each under `name`
 * without loading the capability, and the definitions spread them. Data only
 * (docs/architecture.md, "Adding a route").
 */
export const errorCatalogRouteHeads = {
  listErrorCatalog: {
    name: 'error-catalog-get',
    method: 'GET',
    route: 'v1/error-catalog',
    scope: 'events:read',
    operationId: 'listErrorCatalog',
  },
  getErrorCatalogEntry: {
    name: 'error-catalog-get-code',
    method: 'GET',
    route: 'v1/error-catalog/{code}',
    scope: 'events:read',
    operationId: 'getErrorCatalogEntry',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
