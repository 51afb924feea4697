import { z } from 'zod';

/**
 * Scopes a tenant's API key can carry (docs/design.md §5). `admin` implies every other scope in this list.
 * The platform operator's scope is deliberately not in it (see OPERATOR_SCOPE below).
 */
export const SCOPES = [
  'integrations:read',
  'integrations:write',
  'webhooks:read',
  'webhooks:write',
  'events:read',
  'events:replay',
  'subscriptions:read',
  'subscriptions:write',
  'sync:read',
  'sync:write',
  'sops:read',
  'sops:write',
  'approvals:read',
  'approvals:write',
  'apikeys:write',
  'admin',
] as const;

export const scopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof scopeSchema>;

/**
 * The platform operator's scope (tenant onboarding, /api/v1/tenants). It lives outside SCOPES and
 * scopeSchema, so no tenant key can be created with it or parsed from storage holding it, and
 * `admin` never implies it. Only the operator key (OPERATOR_API_KEY) carries it, and nothing else.
 */
export const OPERATOR_SCOPE = 'operator' as const;
export type OperatorScope = typeof OPERATOR_SCOPE;

/** What a route may require and a principal may hold: a tenant scope, or the operator scope. */
export type ApiScope = Scope | OperatorScope;

export function grants(held: readonly ApiScope[], required: ApiScope): boolean {
  if (required === OPERATOR_SCOPE || held.includes(OPERATOR_SCOPE)) {
    // The operator plane and the tenant plane never overlap, in either direction.
    return required === OPERATOR_SCOPE && held.includes(OPERATOR_SCOPE);
  }
  return held.includes('admin') || held.includes(required);
}
