import { randomBytes } from 'node:crypto';
import { sha256 } from '../crypto/constant-time';
import { newestFirstId } from '../storage/keys';

/**
 * API key format: `mhk_<keyId>_<secret>`. The key id (a newest-first ULID-like id, so lists come
 * out newest first) finds the stored record without a scan; the secret is 32 random bytes (base64url). Only a SHA-256 of the whole key is stored — a
 * fast hash is enough because the secret has 256 bits of entropy, nothing to brute-force.
 */
const PREFIX = 'mhk_';
const SHAPE = /^mhk_([0-9a-z]{26})_([A-Za-z0-9_-]{43})$/;

export interface NewKeyMaterial {
  keyId: string;
  key: string;
  hash: string;
  /** Safe to show in lists: enough to recognise a key, useless to use it. */
  hint: string;
}

/** `keyId` is fixed by an Idempotency-Key on the create; otherwise a fresh one. */
export function generateKeyMaterial(keyId: string = newestFirstId().toLowerCase()): NewKeyMaterial {
  const secret = randomBytes(32).toString('base64url');
  const key = `${PREFIX}${keyId}_${secret}`;
  return { keyId, key, hash: hashKey(key), hint: `${PREFIX}${keyId}_${secret.slice(0, 4)}…` };
}

export function parseKeyId(presented: string): string | undefined {
  return SHAPE.exec(presented)?.[1];
}

export function hashKey(key: string): string {
  return sha256(key).toString('hex');
}
