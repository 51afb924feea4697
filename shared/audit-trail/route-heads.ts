import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/audit-trail/routes.ts, written once: functions/audit-api.ts registers each under `name`
 * without loading the capability, and the definitions spread them. Data only
 * (docs/architecture.md, "Adding a route").
 */
export const auditTrailRouteHeads = {
  listAudit: {
    name: 'audit-list',
    method: 'GET',
    route: 'v1/audit',
    scope: 'admin',
    operationId: 'listAudit',
  },
  listOperatorAudit: {
    name: 'audit-operator-list',
    method: 'GET',
    route: 'v1/tenants/audit',
    scope: 'operator',
    operationId: 'listOperatorAudit',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
