import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/dashboard/routes.ts, written once: functions/dashboard-api.ts registers each under `name`
 * without loading the capability, and the definitions spread them. Data only
 * (docs/architecture.md, "Adding a route").
 */
export const dashboardRouteHeads = {
  getDashboard: {
    name: 'dashboard-get',
    method: 'GET',
    route: 'v1/dashboard',
    scope: 'events:read',
    operationId: 'getDashboard',
  },
  getDashboardFailure: {
    name: 'dashboard-get-failure',
    method: 'GET',
    route: 'v1/dashboard/failures/{id}',
    scope: 'events:read',
    operationId: 'getDashboardFailure',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
