import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/tenants/routes.ts, written once: functions/tenants-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const tenantsRouteHeads = {
  createTenant: {
    name: 'tenants-create',
    method: 'POST',
    route: 'v1/tenants',
    scope: 'operator',
    operationId: 'createTenant',
    idempotent: true,
  },
  listTenants: {
    name: 'tenants-list',
    method: 'GET',
    route: 'v1/tenants',
    scope: 'operator',
    operationId: 'listTenants',
  },
  getTenant: {
    name: 'tenants-get',
    method: 'GET',
    route: 'v1/tenants/{id}',
    scope: 'operator',
    operationId: 'getTenant',
  },
  disableTenant: {
    name: 'tenants-disable',
    method: 'POST',
    route: 'v1/tenants/{id}/disable',
    scope: 'operator',
    operationId: 'disableTenant',
  },
  enableTenant: {
    name: 'tenants-enable',
    method: 'POST',
    route: 'v1/tenants/{id}/enable',
    scope: 'operator',
    operationId: 'enableTenant',
  },
  setTenantLimits: {
    name: 'tenants-limits',
    method: 'PUT',
    route: 'v1/tenants/{id}/limits',
    scope: 'operator',
    operationId: 'setTenantLimits',
  },
  setTenantPayloadRetention: {
    name: 'tenants-payload-retention',
    method: 'PUT',
    route: 'v1/tenants/{id}/payload-retention',
    scope: 'operator',
    operationId: 'setTenantPayloadRetention',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
