import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/integrations/operator-routes.ts, written once: functions/credentials-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const operatorRouteHeads = {
  reencryptCredentials: {
    name: 'credentials-reencrypt',
    method: 'POST',
    route: 'v1/operator/credentials/reencrypt',
    scope: 'operator',
    operationId: 'reencryptCredentials',
  },
} as const satisfies Record<string, RegisteredRouteHead>;

/**
 * The heads of shared/integrations/routes.ts, written once: functions/integrations-api.ts
 * registers each under `name` without loading the capability, and the definitions spread them.
 * Data only (docs/architecture.md, "Adding a route").
 */
export const integrationsRouteHeads = {
  createIntegration: {
    name: 'integrations-create',
    method: 'POST',
    route: 'v1/integrations',
    scope: 'integrations:write',
    operationId: 'createIntegration',
    idempotent: true,
  },
  testConnection: {
    name: 'integrations-test-unsaved',
    method: 'POST',
    route: 'v1/integrations/test',
    scope: 'integrations:write',
    operationId: 'testConnection',
  },
  listIntegrations: {
    name: 'integrations-list',
    method: 'GET',
    route: 'v1/integrations',
    scope: 'integrations:read',
    operationId: 'listIntegrations',
  },
  getIntegration: {
    name: 'integrations-get',
    method: 'GET',
    route: 'v1/integrations/{id}',
    scope: 'integrations:read',
    operationId: 'getIntegration',
  },
  updateIntegration: {
    name: 'integrations-update',
    method: 'PATCH',
    route: 'v1/integrations/{id}',
    scope: 'integrations:write',
    operationId: 'updateIntegration',
  },
  deleteIntegration: {
    name: 'integrations-delete',
    method: 'DELETE',
    route: 'v1/integrations/{id}',
    scope: 'integrations:write',
    operationId: 'deleteIntegration',
  },
  testIntegration: {
    name: 'integrations-test-saved',
    method: 'POST',
    route: 'v1/integrations/{id}/test',
    scope: 'integrations:write',
    operationId: 'testIntegration',
  },
} as const satisfies Record<string, RegisteredRouteHead>;

/**
 * The heads of shared/integrations/onboarding-routes.ts, written once: functions/integrations-onboarding-api.ts registers each under `name`
 * without loading the capability, and the definitions spread them. Data only
 * (docs/architecture.md, "Adding a route").
 */
export const integrationOnboardingRouteHeads = {
  listGdapCustomers: {
    name: 'integrations-gdap-customers',
    method: 'GET',
    route: 'v1/integrations/{id}/gdap/customers',
    scope: 'integrations:read',
    operationId: 'listGdapCustomers',
  },
  onboardGdapCustomers: {
    name: 'integrations-gdap-onboard',
    method: 'POST',
    route: 'v1/integrations/{id}/gdap/onboard',
    scope: 'integrations:write',
    operationId: 'onboardGdapCustomers',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
