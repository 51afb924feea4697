import type { Scope } from './scopes';

/** Who is calling: the tenant a key belongs to, the key's id (for audit) and what it may do. */
export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: readonly Scope[];
}
