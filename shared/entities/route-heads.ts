import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/entities/routes.ts, written once: functions/entities-api.ts registers each
 * under `name` without loading the capability. Literal routes' names sort before parameter
 * routes' (docs/architecture.md, "Adding a route"). Data only.
 */
export const entityRouteHeads = {
  listEntityCompanies: {
    name: 'entities-companies-list',
    method: 'GET',
    route: 'v1/entities/companies',
    scope: 'sync:read',
    operationId: 'listEntityCompanies',
  },
  matchEntityCompanies: {
    name: 'entities-companies-match',
    method: 'POST',
    route: 'v1/entities/companies/match',
    scope: 'sync:write',
    operationId: 'matchEntityCompanies',
  },
  mergeEntityCompanies: {
    name: 'entities-companies-merge',
    method: 'POST',
    route: 'v1/entities/companies/merge',
    scope: 'sync:write',
    operationId: 'mergeEntityCompanies',
  },
  compareEntityCompany: {
    name: 'entities-companies-one-compare',
    method: 'GET',
    route: 'v1/entities/companies/{id}/compare',
    scope: 'sync:read',
    operationId: 'compareEntityCompany',
  },
  unmergeEntityCompany: {
    name: 'entities-companies-one-unmerge',
    method: 'POST',
    route: 'v1/entities/companies/{id}/unmerge',
    scope: 'sync:write',
    operationId: 'unmergeEntityCompany',
  },
  listEntityContacts: {
    name: 'entities-contacts-list',
    method: 'GET',
    route: 'v1/entities/contacts',
    scope: 'sync:read',
    operationId: 'listEntityContacts',
  },
  matchEntityContacts: {
    name: 'entities-contacts-match',
    method: 'POST',
    route: 'v1/entities/contacts/match',
    scope: 'sync:write',
    operationId: 'matchEntityContacts',
  },
  mergeEntityContacts: {
    name: 'entities-contacts-merge',
    method: 'POST',
    route: 'v1/entities/contacts/merge',
    scope: 'sync:write',
    operationId: 'mergeEntityContacts',
  },
  getEntityContact: {
    name: 'entities-contacts-one',
    method: 'GET',
    route: 'v1/entities/contacts/{id}',
    scope: 'sync:read',
    operationId: 'getEntityContact',
  },
  compareEntityContact: {
    name: 'entities-contacts-one-compare',
    method: 'GET',
    route: 'v1/entities/contacts/{id}/compare',
    scope: 'sync:read',
    operationId: 'compareEntityContact',
  },
  unmergeEntityContact: {
    name: 'entities-contacts-one-unmerge',
    method: 'POST',
    route: 'v1/entities/contacts/{id}/unmerge',
    scope: 'sync:write',
    operationId: 'unmergeEntityContact',
  },
  resyncEntity: {
    name: 'entities-sync-resync',
    method: 'POST',
    route: 'v1/sync/resync',
    scope: 'sync:write',
    operationId: 'resyncEntity',
  },
  listSyncConflicts: {
    name: 'entities-sync-conflicts-list',
    method: 'GET',
    route: 'v1/sync/conflicts',
    scope: 'sync:read',
    operationId: 'listSyncConflicts',
  },
  resolveSyncConflict: {
    name: 'entities-sync-conflicts-one-resolve',
    method: 'POST',
    route: 'v1/sync/conflicts/{id}/resolve',
    scope: 'sync:write',
    operationId: 'resolveSyncConflict',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
