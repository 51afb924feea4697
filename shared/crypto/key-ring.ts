import { FernetKeyError, isValidFernetKey } from './fernet';

/**
 * A credential key ring as written in a setting or a Key Vault secret: Fernet keys separated by
 * commas (or whitespace), the first one primary. One value holds every key so a rotation step is one
 * atomic write that every instance reads whole (docs/runbooks/credential-key-rotation.md).
 */
export function parseKeyRing(text: string): string[] {
  const keys = text.split(/[\s,]+/).filter((k) => k.length > 0);
  if (keys.length === 0) throw new FernetKeyError('the key ring is empty');
  keys.forEach((key, i) => {
    // Position only: the message must not repeat key material.
    if (!isValidFernetKey(key)) throw new FernetKeyError(`key ${i + 1} of ${keys.length} is not base64url of 32 bytes`);
  });
  if (new Set(keys).size !== keys.length) throw new FernetKeyError('the key ring lists a key twice');
  return keys;
}

export function isValidKeyRing(text: string): boolean {
  try {
    parseKeyRing(text);
    return true;
  } catch {
    return false;
  }
}
