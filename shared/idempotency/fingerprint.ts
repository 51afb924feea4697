import { createHash } from 'node:crypto';

/**
 * What makes two requests "the same" for an idempotency key: method, route, the calling key and the
 * body's meaning. The body is hashed in a canonical form (object keys sorted, no whitespace), so a
 * client that re-serialises its retry with another key order is still recognised as the same.
 */
export interface RequestIdentity {
  method: string;
  route: string;
  keyId: string;
  body: unknown;
}

/** JSON with object keys in sorted order at every depth; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** A hex SHA-256 over the identity; the body itself is never stored with the key. */
export function requestFingerprint(identity: RequestIdentity): string {
  return createHash('sha256')
    .update(`${identity.method.toUpperCase()}\n${identity.route}\n${identity.keyId}\n`)
    .update(canonicalJson(identity.body ?? null))
    .digest('hex');
}
