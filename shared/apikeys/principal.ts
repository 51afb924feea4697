import { type ApiScope, OPERATOR_SCOPE } from './scopes';

/**
 * Who is calling: the tenant a key belongs to, the key's id (for audit), what it may do and, when
 * the key expires, when (keys it creates may not outlive it).
 */
export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: readonly ApiScope[];
  expiresAt?: string | undefined;
}

/** The operator principal's key id in audit entries and `createdBy`. */
export const OPERATOR_KEY_ID = 'operator';
/**
 * The operator belongs to no tenant. Its `tenantId` is a value no tenant id can take (tenant ids
 * are lowercase letters, digits and dashes), so even a route that wrongly let it through would
 * find an empty partition, never a tenant's data.
 */
export const OPERATOR_TENANT_ID = '_operator';

export const operatorPrincipal: Principal = Object.freeze({
  tenantId: OPERATOR_TENANT_ID,
  keyId: OPERATOR_KEY_ID,
  scopes: Object.freeze([OPERATOR_SCOPE]),
});

export function isOperator(principal: Principal): boolean {
  return principal.scopes.includes(OPERATOR_SCOPE);
}
