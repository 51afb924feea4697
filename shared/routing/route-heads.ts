import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The routing routes' heads, written once: functions/routing-api.ts registers each under `name`
 * without loading the capability, and routes.ts spreads each into its definition. Data only.
 * Routing belongs to sync (docs/design.md §15), so it reads and writes under the sync scopes.
 * No literal route here overlaps a parameter route, so name order does not matter (decisions §44).
 */
export const routingRouteHeads = {
  getRoutingConfig: {
    name: 'routing-config-get',
    method: 'GET',
    route: 'v1/routing',
    scope: 'sync:read',
    operationId: 'getRoutingConfig',
  },
  putRoutingConfig: {
    name: 'routing-config-put',
    method: 'PUT',
    route: 'v1/routing',
    scope: 'sync:write',
    operationId: 'putRoutingConfig',
  },
  testRouting: {
    name: 'routing-test',
    method: 'POST',
    route: 'v1/routing/test',
    scope: 'sync:read',
    operationId: 'testRouting',
  },
  linkRoutingClients: {
    name: 'routing-client-links',
    method: 'POST',
    route: 'v1/routing/client-links',
    scope: 'sync:write',
    operationId: 'linkRoutingClients',
  },
  getRoutingAccuracy: {
    name: 'routing-accuracy',
    method: 'GET',
    route: 'v1/routing/accuracy',
    scope: 'sync:read',
    operationId: 'getRoutingAccuracy',
  },
  listRoutingErrors: {
    name: 'routing-errors-list',
    method: 'GET',
    route: 'v1/routing/errors',
    scope: 'sync:read',
    operationId: 'listRoutingErrors',
  },
  listRoutingDecisions: {
    name: 'routing-decisions-list',
    method: 'GET',
    route: 'v1/routing/decisions',
    scope: 'sync:read',
    operationId: 'listRoutingDecisions',
  },
  getRoutingDecision: {
    name: 'routing-decision-get',
    method: 'GET',
    route: 'v1/routing/decisions/{vendor}/{ticketId}',
    scope: 'sync:read',
    operationId: 'getRoutingDecision',
  },
  reassignTicket: {
    name: 'routing-decision-reassign',
    method: 'POST',
    route: 'v1/routing/decisions/{vendor}/{ticketId}/reassign',
    scope: 'sync:write',
    operationId: 'reassignTicket',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
