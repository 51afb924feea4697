import { describe, expect, it } from 'vitest';
import { canonicalJson, requestFingerprint } from '../../shared/idempotency/fingerprint';
import { IdempotencyKeyInvalidError, idempotencyKeyOf } from '../../shared/idempotency/key-header';
import { withoutSecret } from '../../shared/idempotency/replay-body';

const headers = (value: string | null) => ({ get: () => value });

describe('the Idempotency-Key header', () => {
  it('accepts 1 to 255 visible ASCII characters and is absent when not sent', () => {
    expect(idempotencyKeyOf(headers(null))).toBeUndefined();
    expect(idempotencyKeyOf(headers('a'))).toBe('a');
    expect(idempotencyKeyOf(headers('~'.repeat(255)))).toBe('~'.repeat(255));
    expect(idempotencyKeyOf(headers('order-42/retry:1'))).toBe('order-42/retry:1');
  });

  it.each(['', 'a b', 'x'.repeat(256), 'tab\there', 'caf\u00e9', 'line\nbreak'])('refuses %j', (value) => {
    expect(() => idempotencyKeyOf(headers(value))).toThrow(IdempotencyKeyInvalidError);
  });
});

describe('the request fingerprint', () => {
  const base = { method: 'POST', route: 'v1/sops', keyId: 'k1', body: { a: 1, b: { c: [1, 2], d: null } } };

  it('is the same for the same meaning in another key order', () => {
    expect(canonicalJson({ b: { d: null, c: [1, 2] }, a: 1 })).toBe(canonicalJson(base.body));
    expect(requestFingerprint({ ...base, body: { b: { d: null, c: [1, 2] }, a: 1 } })).toBe(requestFingerprint(base));
  });

  it('differs with the body, the route, the method or the calling key', () => {
    const fp = requestFingerprint(base);
    expect(requestFingerprint({ ...base, body: { ...base.body, a: 2 } })).not.toBe(fp);
    expect(requestFingerprint({ ...base, body: { b: { c: [2, 1], d: null }, a: 1 } })).not.toBe(fp);
    expect(requestFingerprint({ ...base, route: 'v1/subscriptions' })).not.toBe(fp);
    expect(requestFingerprint({ ...base, method: 'PUT' })).not.toBe(fp);
    expect(requestFingerprint({ ...base, keyId: 'k2' })).not.toBe(fp);
  });
});

describe('a replayed body of a create that showed a secret', () => {
  it('leaves the secret out, top level or nested, and says so', () => {
    expect(withoutSecret('key')({ id: 'x', key: 'mhk_secret' })).toEqual({ id: 'x', secretShownOnce: true });
    const tenant = { id: 't', adminKey: { id: 'k', key: 'mhk_secret' } };
    expect(withoutSecret('adminKey', 'key')(tenant)).toEqual({ id: 't', adminKey: { id: 'k' }, secretShownOnce: true });
    expect(tenant.adminKey.key).toBe('mhk_secret');
  });
});
