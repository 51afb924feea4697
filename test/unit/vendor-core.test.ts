import { afterEach, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { VendorError } from '../../shared/vendors/contract';
import { expectOk, headroom, parseRetryAfter, stringAt, vendorErrorFrom } from '../../shared/vendors/core/errors';
import { credentialDigest, TokenCache, tokenCacheKey } from '../../shared/vendors/core/token-cache';
import { joinUrl } from '../../shared/vendors/core/urls';
import { decode } from '../../shared/vendors/core/vendor-http';

let restore: (() => void) | undefined;
afterEach(() => restore?.());

function manualClock(): ManualClock {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  restore = installClock(clock);
  return clock;
}

const readErrors = (body: unknown) => {
  const message = stringAt(body, 'errors', 0);
  return message ? { message } : undefined;
};

describe('vendor errors', () => {
  it('keeps the vendor message verbatim and maps the status to a kind', () => {
    const error = vendorErrorFrom(
      'autotask',
      'probe',
      { status: 401, headers: {}, body: { errors: ['Bad  secret.'] } },
      readErrors,
    );
    expect(error).toBeInstanceOf(VendorError);
    expect(error).toMatchObject({ kind: 'auth', httpStatus: 401, vendorMessage: 'Bad  secret.', retryable: false });
    expect(error.code).toBe('vendor_error');
  });

  it('never repeats a body that is not the vendor shape: a generic message with the status instead', () => {
    const html = vendorErrorFrom(
      'autotask',
      'probe',
      { status: 502, headers: {}, body: '<html>Bad gateway</html>' },
      readErrors,
    );
    expect(html).toMatchObject({
      kind: 'unavailable',
      retryable: true,
      vendorMessage: "HTTP 502 without an error message in autotask's format.",
    });
    const empty = vendorErrorFrom('autotask', 'probe', { status: 404, headers: {}, body: '' }, readErrors);
    expect(empty.vendorMessage).toBe("HTTP 404 without an error message in autotask's format.");
  });

  it('a reader that throws on a strange body does not hide the failure', () => {
    const error = vendorErrorFrom('itglue', 'probe', { status: 403, headers: {}, body: { a: 1 } }, () => {
      throw new Error('boom');
    });
    expect(error).toMatchObject({
      kind: 'forbidden',
      vendorMessage: "HTTP 403 without an error message in itglue's format.",
    });
  });

  it('bounds a known-shape message and strips control characters from it', () => {
    const error = vendorErrorFrom(
      'autotask',
      'probe',
      { status: 400, headers: {}, body: { errors: [`line one\r\n\u0000\u0007line two ${'x'.repeat(5000)}`] } },
      readErrors,
    );
    expect([...error.vendorMessage].length).toBe(300);
    expect(error.vendorMessage.startsWith('line one line two xxx')).toBe(true);
    expect([...error.vendorMessage].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
    expect(error.message.length).toBeLessThan(400);
  });

  it('expectOk passes 2xx and throws otherwise', () => {
    expect(() => expectOk('pax8', 'probe', { status: 204, headers: {}, body: '' }, readErrors)).not.toThrow();
    expect(() => expectOk('pax8', 'probe', { status: 400, headers: {}, body: '' }, readErrors)).toThrow(VendorError);
  });

  it('reads Retry-After as seconds or as an HTTP date against the injected clock', () => {
    const clock = manualClock();
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter(new Date(clock.now() + 42_000).toUTCString())).toBe(42_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT')).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('999999999')).toBeUndefined();
    const error = vendorErrorFrom(
      'datto-rmm',
      'probe',
      { status: 429, headers: { 'retry-after': '30' }, body: '' },
      readErrors,
    );
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 30_000 });
  });

  it('computes headroom within [0, 1]', () => {
    expect(headroom(150, 600)).toBe(0.75);
    expect(headroom(700, 600)).toBe(0);
    expect(headroom(1, 0)).toBe(0);
  });
});

describe('token cache', () => {
  it('shares one in-flight fetch between concurrent callers', async () => {
    manualClock();
    const cache = new TokenCache();
    let fetches = 0;
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fetch = async () => {
      fetches += 1;
      await gate;
      return { token: `t${fetches}`, expiresInSeconds: 3600 };
    };
    const all = Promise.all([cache.getToken('k', fetch), cache.getToken('k', fetch), cache.getToken('k', fetch)]);
    release?.();
    expect(await all).toEqual(['t1', 't1', 't1']);
    expect(fetches).toBe(1);
  });

  it('refreshes ahead of expiry (10% of the lifetime, at least 60 s) by the injected clock', async () => {
    const clock = manualClock();
    const cache = new TokenCache();
    let n = 0;
    const fetch = async () => ({ token: `t${++n}`, expiresInSeconds: 3600 });
    expect(await cache.getToken('k', fetch)).toBe('t1');
    clock.advance(3600_000 - 360_000 - 1);
    expect(await cache.getToken('k', fetch)).toBe('t1');
    clock.advance(1);
    expect(await cache.getToken('k', fetch)).toBe('t2');
    // A short-lived token is refreshed at least 60 s early, but never later than half its life.
    const short = new TokenCache();
    let m = 0;
    const shortFetch = async () => ({ token: `s${++m}`, expiresInSeconds: 100 });
    await short.getToken('s', shortFetch);
    clock.advance(49_999);
    expect(await short.getToken('s', shortFetch)).toBe('s1');
    clock.advance(1);
    expect(await short.getToken('s', shortFetch)).toBe('s2');
  });

  it('does not cache a failed fetch, and invalidate forces a new token', async () => {
    manualClock();
    const cache = new TokenCache();
    await expect(cache.getToken('k', async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await cache.getToken('k', async () => ({ token: 'a', expiresInSeconds: 3600 }))).toBe('a');
    cache.invalidate('k');
    expect(await cache.getToken('k', async () => ({ token: 'b', expiresInSeconds: 3600 }))).toBe('b');
  });

  it('keys tokens by integration and a digest of the credentials, never the secret', () => {
    const a = tokenCacheKey('int-1', 'token', { clientId: 'x', clientSecret: 'super-secret-value' });
    const b = tokenCacheKey('int-1', 'token', { clientSecret: 'super-secret-value', clientId: 'x' });
    const rotated = tokenCacheKey('int-1', 'token', { clientId: 'x', clientSecret: 'rotated-secret' });
    expect(a).toBe(b);
    expect(a).not.toBe(rotated);
    expect(a).not.toContain('super-secret-value');
    expect(a.startsWith('int-1:token:')).toBe(true);
    expect(credentialDigest('x')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('vendor http helpers', () => {
  it('decodes JSON media types and leaves other bodies as text', () => {
    expect(decode({ 'content-type': 'application/vnd.api+json' }, Buffer.from('{"data":[]}'))).toEqual({ data: [] });
    expect(decode({ 'content-type': 'text/html' }, Buffer.from('{"x":1}'))).toBe('{"x":1}');
    expect(decode({}, Buffer.from('{"x":1}'))).toEqual({ x: 1 });
    expect(decode({ 'content-type': 'application/json' }, Buffer.from('{broken'))).toBe('{broken');
    expect(decode({ 'content-type': 'application/json' }, Buffer.alloc(0))).toBe('');
  });

  it('joins base URLs and paths with one slash and encodes the query', () => {
    expect(joinUrl('https://a.example/api/', '/users/me')).toBe('https://a.example/api/users/me');
    expect(joinUrl('https://a.example', 'organizations', { 'page[size]': '1' })).toBe(
      'https://a.example/organizations?page%5Bsize%5D=1',
    );
  });
});
