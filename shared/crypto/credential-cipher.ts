import { createHmac } from 'node:crypto';
import { DomainError } from '../errors/domain-error';
import { FernetError, FernetKeyError, MultiFernet } from './fernet';
import { parseKeyRing } from './key-ring';

/**
 * Vendor credentials at rest (docs/design.md §4 `encryptedCredentials`): the credentials JSON as a Fernet
 * token under the primary key of the credential key ring, opened only at call time. The ring comes
 * from Key Vault (CREDENTIAL_KEY_SECRET_NAME, through the cached secret source) or, locally, from
 * CREDENTIAL_ENCRYPTION_KEY; it is re-read when the secret source's cache expires, so a rotation
 * reaches every instance without a restart. Plaintext lives only in the returned value: it is never
 * logged, put in an error, or kept.
 */
export interface CredentialCipher {
  encryptJson(value: unknown): Promise<string>;
  decryptJson(token: string): Promise<unknown>;
  /** true when the token is under an older key of the ring (credentials_unreadable when under none). */
  needsRotation(token: string): Promise<boolean>;
  /** The same credentials under the primary key. */
  rotate(token: string): Promise<string>;
  /**
   * HMAC-SHA256 (hex) of `value` under a key derived from the primary ring key and `purpose`: a
   * stable identifier for a secret that nobody without the ring can compute or reverse, even for a
   * low-entropy secret. It changes when the primary key does.
   */
  keyedDigest(purpose: string, value: string): Promise<string>;
}

/** Where the key ring text comes from; tests and tools pass their own. */
export type KeyRingSource = () => Promise<string>;

function unreadable(error: FernetError): DomainError {
  return new DomainError(
    'credentials_unreadable',
    'Stored credentials could not be opened with any key of the credential key ring. If the ring was just changed, a key may be missing from it (docs/runbooks/credential-key-rotation.md); otherwise enter the credentials again.',
    { reason: error.reason },
  );
}

export function keyUnavailable(detail: string, cause?: unknown): DomainError {
  return new DomainError(
    'credential_key_unavailable',
    `The credential encryption key is unavailable: ${detail}.`,
    {},
    cause === undefined ? {} : { cause },
  );
}

/** Map Fernet's errors to domain errors; anything else is a bug and passes through. */
function guarded<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof FernetError) throw unreadable(error);
    throw error;
  }
}

export function createCredentialCipher(loadKeyRing: KeyRingSource): CredentialCipher {
  let current: { text: string; ring: MultiFernet } | undefined;
  /** Derived digest keys by purpose, for one primary key at a time (a rotation starts afresh). */
  let digestKeys: { primary: string; byPurpose: Map<string, Buffer> } | undefined;

  async function ring(): Promise<MultiFernet> {
    let text: string;
    try {
      text = await loadKeyRing();
    } catch (error) {
      // Key Vault hiccups must not take every vendor call down: the last ring read stays good.
      if (current) return current.ring;
      if (error instanceof DomainError) throw error;
      throw keyUnavailable('the key ring could not be read', error);
    }
    if (current?.text !== text) {
      try {
        current = { text, ring: new MultiFernet(parseKeyRing(text)) };
      } catch (error) {
        if (!(error instanceof FernetKeyError)) throw error;
        // FernetKeyError names a position in the ring, never a key.
        throw keyUnavailable(`the configured key ring is not valid (${error.message})`);
      }
    }
    return current.ring;
  }

  return {
    async encryptJson(value) {
      const json = JSON.stringify(value);
      if (json === undefined) throw new TypeError('credentials must be a JSON value');
      const plaintext = Buffer.from(json, 'utf8');
      try {
        return (await ring()).encrypt(plaintext);
      } finally {
        plaintext.fill(0);
      }
    },
    async decryptJson(token) {
      const keys = await ring();
      const plaintext = guarded(() => keys.decrypt(token));
      try {
        return JSON.parse(plaintext.toString('utf8')) as unknown;
      } catch {
        // No cause: JSON.parse's message quotes the text it choked on.
        throw new DomainError('credentials_unreadable', 'Stored credentials are not valid JSON.', {
          reason: 'not_json',
        });
      } finally {
        plaintext.fill(0);
      }
    },
    async needsRotation(token) {
      const keys = await ring();
      return guarded(() => keys.needsRotation(token));
    },
    async rotate(token) {
      const keys = await ring();
      return guarded(() => keys.rotate(token));
    },
    async keyedDigest(purpose, value) {
      await ring();
      const primary = parseKeyRing(current?.text ?? '')[0] ?? '';
      if (digestKeys?.primary !== primary) digestKeys = { primary, byPurpose: new Map() };
      let key = digestKeys.byPurpose.get(purpose);
      if (!key) {
        key = createHmac('sha256', primary).update(`msp-hub keyed-digest v1 ${purpose}`).digest();
        digestKeys.byPurpose.set(purpose, key);
      }
      return createHmac('sha256', key).update(value).digest('hex');
    },
  };
}

export interface ReencryptRow {
  token: string;
  /**
   * Store `newToken` in place of `token`. It should be conditional (ETag, or "only if the stored
   * token is still `token`"): a row rewritten meanwhile is already under the primary key.
   */
  save(newToken: string): Promise<void>;
  /** Names the row in the result when it cannot be opened; never the token. */
  id?: string;
}

export interface ReencryptResult {
  scanned: number;
  rewritten: number;
  /** Rows no key of the ring opens (ids, or `#n` positions): a key is missing from the ring. */
  unreadable: string[];
}

/**
 * Rewrite every token that is not under the primary key. Resumable and safe to run twice: rows
 * already under the primary are skipped (an HMAC check, no decryption), so a rerun after a crash
 * only does what is left. Rows no key opens are reported, not fatal, so one bad row cannot stall a
 * rotation — but retire no key while `unreadable` is not empty.
 */
export async function reencryptAll(
  rows: AsyncIterable<ReencryptRow>,
  cipher: CredentialCipher,
): Promise<ReencryptResult> {
  const result: ReencryptResult = { scanned: 0, rewritten: 0, unreadable: [] };
  for await (const row of rows) {
    result.scanned += 1;
    let stale: boolean;
    try {
      stale = await cipher.needsRotation(row.token);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'credentials_unreadable') {
        result.unreadable.push(row.id ?? `#${result.scanned}`);
        continue;
      }
      throw error;
    }
    if (!stale) continue;
    await row.save(await cipher.rotate(row.token));
    result.rewritten += 1;
  }
  return result;
}
