import { nowMs } from '../clock';
import { matchesSha256, secretsEqual } from '../crypto/constant-time';
import { UnauthorizedError } from './errors';
import { parseKeyId } from './key-material';
import { operatorPrincipal, type Principal } from './principal';
import { type ApiKeyTables, LOOKUP_ROW } from './tables';

export interface BootstrapKey {
  key: string;
  tenantId: string;
}

/**
 * Pull the presented key from `Authorization: Bearer <key>` or `x-api-key`; '' for an Authorization
 * header of another form (authentication says what the header must look like).
 */
export function presentedKey(headers: { get(name: string): string | null }): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1] ?? '';
  }
  return headers.get('x-api-key')?.trim() || undefined;
}

/** What authentication may consult beyond the key tables; all optional for callers (tests) that need none. */
export interface AuthenticationOptions {
  /** The operator key, when one is configured (cached by the caller). */
  operatorKey?: () => Promise<string | undefined>;
  /** Whether the hub still acts for a tenant (disabled tenants' keys are refused). */
  tenantIsActive?: (tenantId: string) => Promise<boolean>;
}

/**
 * Resolve a presented key to a principal. Every refusal is a 401 with a code that says why, but
 * the detail never says whether a key id exists (that would help guessing).
 *
 * A presented value in the tenant key format (`mhk_<id>_<secret>`) is only ever checked as a tenant
 * key; anything else is compared (in constant time) with the bootstrap and operator keys, which
 * cost no storage read.
 */
export async function authenticate(
  presented: string | undefined,
  tables: ApiKeyTables,
  bootstrap: BootstrapKey | undefined,
  options: AuthenticationOptions = {},
): Promise<Principal> {
  if (presented === undefined) {
    throw new UnauthorizedError('api_key_missing', 'Send an API key as "Authorization: Bearer <key>" or "x-api-key".');
  }
  if (presented === '') {
    // An Authorization header that is not `Bearer <key>` (often the key alone): say what the header
    // must look like rather than that the key is wrong.
    throw new UnauthorizedError(
      'api_key_invalid',
      'The Authorization header must read "Bearer <key>": the word Bearer, a space, then the key (or send the key alone in x-api-key).',
    );
  }
  const invalid = new UnauthorizedError('api_key_invalid', 'The API key is not valid.');
  const keyId = parseKeyId(presented);
  if (!keyId) {
    if (bootstrap && secretsEqual(presented, bootstrap.key)) {
      await assertTenantActive(bootstrap.tenantId, options);
      return { tenantId: bootstrap.tenantId, keyId: 'bootstrap', scopes: ['admin'] };
    }
    const operatorKey = options.operatorKey ? await options.operatorKey() : undefined;
    if (operatorKey && secretsEqual(presented, operatorKey)) return operatorPrincipal;
    throw invalid;
  }
  const lookup = await tables.lookup.get(keyId, LOOKUP_ROW);
  if (!lookup) throw invalid;
  const record = await tables.keys.get(lookup.value.tenantId, keyId);
  if (!record || !matchesSha256(presented, record.value.hash)) throw invalid;
  if (record.value.revokedAt) throw new UnauthorizedError('api_key_revoked', 'This API key has been revoked.');
  if (record.value.expiresAt && Date.parse(record.value.expiresAt) <= nowMs()) {
    throw new UnauthorizedError('api_key_expired', 'This API key has expired.');
  }
  await assertTenantActive(lookup.value.tenantId, options);
  return {
    tenantId: lookup.value.tenantId,
    keyId,
    scopes: record.value.scopes,
    ...(record.value.expiresAt ? { expiresAt: record.value.expiresAt } : {}),
  };
}

async function assertTenantActive(tenantId: string, options: AuthenticationOptions): Promise<void> {
  if (options.tenantIsActive && !(await options.tenantIsActive(tenantId))) {
    throw new UnauthorizedError('tenant_disabled', 'The tenant this key belongs to has been disabled.');
  }
}
