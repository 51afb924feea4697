import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/dry-run/routes.ts, written once: functions/dry-run-api.ts registers each
 * under `name` without loading the capability, and the definitions spread them. Data only
 * (docs/architecture.md, "Adding a route").
 */
export const dryRunRouteHeads = {
  testWebhook: {
    name: 'webhooks-test',
    method: 'POST',
    route: 'v1/webhooks/{id}/test',
    scope: 'webhooks:write',
    operationId: 'testWebhook',
  },
  dryRunEvent: {
    name: 'events-dry-run',
    method: 'POST',
    route: 'v1/events/{id}/dry-run',
    scope: 'events:replay',
    operationId: 'dryRunEvent',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
