import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/sync/routes.ts, written once: functions/sync-api.ts registers each under
 * `name` without loading the capability. Literal routes' names sort before parameter routes'
 * (docs/architecture.md, "Adding a route"). Data only.
 */
export const syncRouteHeads = {
  startSync: {
    name: 'integrations-sync',
    method: 'POST',
    route: 'v1/integrations/{id}/sync',
    scope: 'sync:write',
    operationId: 'startSync',
  },
  listSyncRuns: {
    name: 'sync-runs-list',
    method: 'GET',
    route: 'v1/sync-runs',
    scope: 'sync:read',
    operationId: 'listSyncRuns',
  },
  getSyncRun: {
    name: 'sync-runs-one',
    method: 'GET',
    route: 'v1/sync-runs/{id}',
    scope: 'sync:read',
    operationId: 'getSyncRun',
  },
  stopSyncRun: {
    name: 'sync-runs-one-stop',
    method: 'POST',
    route: 'v1/sync-runs/{id}/stop',
    scope: 'sync:write',
    operationId: 'stopSyncRun',
  },
  listTickets: {
    name: 'synced-tickets-list',
    method: 'GET',
    route: 'v1/tickets',
    scope: 'sync:read',
    operationId: 'listTickets',
  },
  getTicket: {
    name: 'synced-tickets-one',
    method: 'GET',
    route: 'v1/tickets/{id}',
    scope: 'sync:read',
    operationId: 'getTicket',
  },
  listAssets: {
    name: 'synced-assets-list',
    method: 'GET',
    route: 'v1/assets',
    scope: 'sync:read',
    operationId: 'listAssets',
  },
  getAsset: {
    name: 'synced-assets-one',
    method: 'GET',
    route: 'v1/assets/{id}',
    scope: 'sync:read',
    operationId: 'getAsset',
  },
  listClients: {
    name: 'synced-clients-list',
    method: 'GET',
    route: 'v1/clients',
    scope: 'sync:read',
    operationId: 'listClients',
  },
  getClient: {
    name: 'synced-clients-one',
    method: 'GET',
    route: 'v1/clients/{id}',
    scope: 'sync:read',
    operationId: 'getClient',
  },
  listContacts: {
    name: 'synced-contacts-list',
    method: 'GET',
    route: 'v1/contacts',
    scope: 'sync:read',
    operationId: 'listContacts',
  },
  getContact: {
    name: 'synced-contacts-one',
    method: 'GET',
    route: 'v1/contacts/{id}',
    scope: 'sync:read',
    operationId: 'getContact',
  },
} as const satisfies Record<string, RegisteredRouteHead>;

/** The head of shared/sync/metrics-routes.ts (functions/sync-metrics-api.ts registers it). Data only. */
export const syncMetricsRouteHeads = {
  getSyncMetrics: {
    name: 'sync-metrics',
    method: 'GET',
    route: 'v1/sync/metrics',
    scope: 'sync:read',
    operationId: 'getSyncMetrics',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
