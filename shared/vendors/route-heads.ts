import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/vendors/routes.ts, written once: functions/vendors-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const vendorsRouteHeads = {
  listVendors: {
    name: 'vendors-get',
    method: 'GET',
    route: 'v1/vendors',
    scope: 'integrations:read',
    operationId: 'listVendors',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
