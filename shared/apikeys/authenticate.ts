import { nowMs } from '../clock';
import { matchesSha256, secretsEqual } from '../crypto/constant-time';
import { UnauthorizedError } from '../http/errors';
import { parseKeyId } from './key-material';
import type { Principal } from './principal';
import { type ApiKeyTables, LOOKUP_ROW } from './records';

export interface BootstrapKey {
  key: string;
  tenantId: string;
}

/** Pull the presented key from `Authorization: Bearer <key>` or `x-api-key`. */
export function presentedKey(headers: { get(name: string): string | null }): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1] ?? '';
  }
  return headers.get('x-api-key')?.trim() || undefined;
}

/**
 * Resolve a presented key to a principal. Every refusal is a 401 with a code that says why, but
 * the detail never says whether a key id exists (that would help guessing).
 */
export async function authenticate(
  presented: string | undefined,
  tables: ApiKeyTables,
  bootstrap: BootstrapKey | undefined,
): Promise<Principal> {
  if (presented === undefined) {
    throw new UnauthorizedError('api_key_missing', 'Send an API key as "Authorization: Bearer <key>" or "x-api-key".');
  }
  if (bootstrap && secretsEqual(presented, bootstrap.key)) {
    return { tenantId: bootstrap.tenantId, keyId: 'bootstrap', scopes: ['admin'] };
  }
  const invalid = new UnauthorizedError('api_key_invalid', 'The API key is not valid.');
  const keyId = parseKeyId(presented);
  if (!keyId) throw invalid;
  const lookup = await tables.lookup.get(keyId, LOOKUP_ROW);
  if (!lookup) throw invalid;
  const record = await tables.keys.get(lookup.value.tenantId, keyId);
  if (!record || !matchesSha256(presented, record.value.hash)) throw invalid;
  if (record.value.revokedAt) throw new UnauthorizedError('api_key_revoked', 'This API key has been revoked.');
  if (record.value.expiresAt && Date.parse(record.value.expiresAt) <= nowMs()) {
    throw new UnauthorizedError('api_key_expired', 'This API key has expired.');
  }
  return { tenantId: lookup.value.tenantId, keyId, scopes: record.value.scopes };
}
