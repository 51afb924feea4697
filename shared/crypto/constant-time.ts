import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compare secrets without leaking where they differ. Both sides are hashed first so inputs of any
 * length compare in constant time (timingSafeEqual itself needs equal lengths).
 */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** Compare a presented secret with a stored SHA-256 (hex) of the expected one, in constant time. */
export function matchesSha256(presented: string, storedHashHex: string): boolean {
  const expected = Buffer.from(storedHashHex, 'hex');
  const actual = sha256(presented);
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
