import { credentialCipher } from '../app/process-cipher';
import { nowMs } from '../clock';
import { DomainError } from '../errors/domain-error';
import { ConflictError } from '../storage/errors';
import type { TableRepository } from '../storage/table-repository';
import { stateKey } from './pkce';
import type { OAuthState } from './tables';

/** An authorisation link works for this long, once (docs/integrations.md). */
export const STATE_TTL_MS = 10 * 60_000;

export type OAuthStates = TableRepository<OAuthState>;

/** One message for unknown, expired and used states: the caller learns nothing about which. */
export function stateInvalid(): DomainError {
  return new DomainError(
    'oauth_state_invalid',
    'This authorisation link is unknown, expired (links last 10 minutes) or already used; nothing was stored. Start the authorisation again from the hub.',
  );
}

export interface StartedState {
  tenantId: string;
  integrationId: string;
  keyId: string;
  verifier: string;
  redirectUri: string;
  credentialsUpdatedAt: string;
}

/** Records a state for STATE_TTL_MS; returns when it expires. */
export async function saveState(states: OAuthStates, state: string, started: StartedState): Promise<string> {
  const key = stateKey(state);
  const expiresAt = new Date(nowMs() + STATE_TTL_MS).toISOString();
  const { verifier, ...rest } = started;
  await states.insert(key.slice(0, 2), key, {
    ...rest,
    encryptedVerifier: await credentialCipher().encryptJson(verifier),
    expiresAt,
  });
  return expiresAt;
}

/**
 * Takes a state for good: found, deleted ETag-conditionally (so two callbacks with one state
 * cannot both pass), then checked for expiry. Any failure is `oauth_state_invalid`.
 */
export async function consumeState(
  states: OAuthStates,
  state: string,
): Promise<Omit<StartedState, 'verifier'> & { verifier: string }> {
  const key = stateKey(state);
  const row = await states.get(key.slice(0, 2), key);
  if (!row) throw stateInvalid();
  try {
    if (!(await states.delete(key.slice(0, 2), key, row.etag))) throw stateInvalid();
  } catch (error) {
    if (error instanceof ConflictError) throw stateInvalid();
    throw error;
  }
  if (Date.parse(row.value.expiresAt) <= nowMs()) throw stateInvalid();
  const verifier = await credentialCipher().decryptJson(row.value.encryptedVerifier);
  if (typeof verifier !== 'string') throw stateInvalid();
  const { encryptedVerifier: _sealed, expiresAt: _expires, ...rest } = row.value;
  return { ...rest, verifier };
}
