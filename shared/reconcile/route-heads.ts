import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/reconcile/routes.ts, written once: functions/reconcile-api.ts registers each under `name`
 * without loading the capability, and the definitions spread them. Data only
 * (docs/architecture.md, "Adding a route").
 */
export const reconcileRouteHeads = {
  reconcileIntegration: {
    name: 'integrations-reconcile',
    method: 'GET',
    route: 'v1/integrations/{id}/reconcile',
    scope: 'integrations:read',
    operationId: 'reconcileIntegration',
  },
  applyReconcile: {
    name: 'integrations-reconcile-apply',
    method: 'POST',
    route: 'v1/integrations/{id}/reconcile/apply',
    scope: 'integrations:write',
    operationId: 'applyReconcile',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
