import type { RegisteredRouteHead } from './api-route';

/**
 * The heads of shared/api/meta-routes.ts, written once: functions/meta-api.ts registers each under
 * `name` without loading the edge's handlers, and the definitions spread them. Data only
 * (docs/architecture.md, "Adding a route"). infra/ probes `healthz` with the availability test.
 */
export const metaRouteHeads = {
  getHealth: { name: 'healthz-get', method: 'GET', route: 'healthz', scope: null, operationId: 'getHealth' },
  getOpenApi: { name: 'openapi-get', method: 'GET', route: 'v1/openapi.json', scope: null, operationId: 'getOpenApi' },
  getApiReference: {
    name: 'api-reference-get',
    method: 'GET',
    route: 'v1/docs',
    scope: null,
    operationId: 'getApiReference',
  },
  getEgress: {
    name: 'meta-egress-get',
    method: 'GET',
    route: 'v1/meta/egress',
    scope: 'integrations:read',
    operationId: 'getEgress',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
