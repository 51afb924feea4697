import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The SOP routes' heads, written once: functions/sops-api.ts registers each under `name` without
 * loading the capability, and routes.ts spreads each into its definition. Data only (a type import
 * is erased), so registration may evaluate it (test/unit/lazy-registration.test.ts).
 */
export const sopRouteHeads = {
  createSop: {
    name: 'sops-create',
    method: 'POST',
    route: 'v1/sops',
    scope: 'sops:write',
    operationId: 'createSop',
    idempotent: true,
  },
  listSops: { name: 'sops-list', method: 'GET', route: 'v1/sops', scope: 'sops:read', operationId: 'listSops' },
  previewSopMatch: {
    name: 'sops-match-preview',
    method: 'POST',
    route: 'v1/sops/match',
    scope: 'sops:read',
    operationId: 'previewSopMatch',
  },
  getSop: { name: 'sops-get', method: 'GET', route: 'v1/sops/{id}', scope: 'sops:read', operationId: 'getSop' },
  replaceSop: {
    name: 'sops-replace',
    method: 'PUT',
    route: 'v1/sops/{id}',
    scope: 'sops:write',
    operationId: 'replaceSop',
  },
  deleteSop: {
    name: 'sops-delete',
    method: 'DELETE',
    route: 'v1/sops/{id}',
    scope: 'sops:write',
    operationId: 'deleteSop',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
