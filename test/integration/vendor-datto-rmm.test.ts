import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { connector } from '../../shared/vendors/datto-rmm';
import { fakeSession, vendorErrorOf } from '../fakes/core/session';
import { DattoRmmFake, FAKE_DATTO_RMM_CREDENTIALS } from '../fakes/datto-rmm';

const fake = new DattoRmmFake();
let baseUrl = '';
const TOKEN_PATH = '/auth/oauth/token';
const PROBE_PATH = '/api/v2/system/request_rate';
let restoreClock: (() => void) | undefined;

beforeAll(async () => {
  baseUrl = await fake.start();
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
});

const session = (credentials: object = FAKE_DATTO_RMM_CREDENTIALS, extra: object = {}, timeoutMs?: number) =>
  fakeSession('datto-rmm', connector, credentials, { baseUrl, ...extra }, timeoutMs ? { timeoutMs } : {});

describe('Datto RMM connector against its fake', () => {
  it('gets a password-grant token under the public client, then probes request_rate with it', async () => {
    const result = await connector.probe(session(undefined, { apiKeyExpiresAt: '2027-03-01' }));
    expect(result.quota).toEqual({ used: 1, limit: 600, windowSeconds: 60, headroom: 1 - 1 / 600 });
    expect(result.expiries).toEqual([{ what: 'Datto RMM API key', at: '2027-03-01T00:00:00.000Z' }]);

    const [token] = fake.received('POST', TOKEN_PATH);
    expect(token?.headers.authorization).toBe(`Basic ${Buffer.from('public-client:public').toString('base64')}`);
    expect(token?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(token?.body))).toEqual({
      grant_type: 'password',
      username: FAKE_DATTO_RMM_CREDENTIALS.apiKey,
      password: FAKE_DATTO_RMM_CREDENTIALS.apiSecret,
    });
    const [probe] = fake.received('GET', PROBE_PATH);
    expect(probe?.headers.authorization).toMatch(/^Bearer [A-Za-z0-9_-]+$/);
    expect(probe?.body).toBe('');
  });

  it('reuses the token until shortly before expires_in runs out, then fetches one new token', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    restoreClock = installClock(clock);
    fake.tokenLifetimeSeconds = 1000;
    try {
      const one = session();
      await connector.probe(one);
      await Promise.all([connector.probe(one), connector.probe(one)]);
      expect(fake.count('POST', TOKEN_PATH)).toBe(1);
      clock.advance(899_000); // 10% margin → refresh from 900 s
      await connector.probe(one);
      expect(fake.count('POST', TOKEN_PATH)).toBe(1);
      clock.advance(1000);
      await Promise.all([connector.probe(one), connector.probe(one)]);
      expect(fake.count('POST', TOKEN_PATH)).toBe(2);
    } finally {
      fake.tokenLifetimeSeconds = 360_000;
    }
  });

  it('a wrong secret is refused by the token endpoint: kind auth, vendor message verbatim, one request, no probe', async () => {
    const error = await vendorErrorOf(connector.probe(session({ ...FAKE_DATTO_RMM_CREDENTIALS, apiSecret: 'nope' })));
    expect(error).toMatchObject({
      operation: 'token',
      kind: 'auth',
      httpStatus: 400,
      vendorCode: 'invalid_grant',
      vendorMessage: 'Bad credentials',
      retryable: false,
    });
    expect(fake.count('POST', TOKEN_PATH)).toBe(1);
    expect(fake.count('GET', PROBE_PATH)).toBe(0);
  });

  it('a revoked token makes the probe fail as auth after one request, and the next probe gets a new token', async () => {
    const one = session();
    await connector.probe(one);
    fake.revokeTokens();
    const error = await vendorErrorOf(connector.probe(one));
    expect(error).toMatchObject({
      operation: 'probe',
      kind: 'auth',
      httpStatus: 401,
      vendorMessage: 'Invalid access token',
    });
    expect(fake.count('GET', PROBE_PATH)).toBe(2);
    await connector.probe(one);
    expect(fake.count('POST', TOKEN_PATH)).toBe(2);
  });

  it.each([
    [403, 'forbidden', false],
    [404, 'not_found', false],
    [500, 'unavailable', true],
    [503, 'unavailable', true],
  ] as const)('HTTP %i from the probe is kind %s (retryable %s), one request', async (status, kind, retryable) => {
    fake.injectFault({ kind: 'status', status }, { path: PROBE_PATH });
    const error = await vendorErrorOf(connector.probe(session()));
    expect(error).toMatchObject({ kind, retryable, httpStatus: status });
    expect(fake.count('GET', PROBE_PATH)).toBe(1);
  });

  it('429 with an HTTP-date Retry-After is rate_limited with retryAfterMs', async () => {
    const at = new Date(Date.now() + 120_000).toUTCString();
    fake.injectFault({ kind: 'status', status: 429, headers: { 'Retry-After': at } }, { path: PROBE_PATH });
    const error = await vendorErrorOf(connector.probe(session()));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThan(100_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('a token endpoint that never answers is a timeout', async () => {
    fake.injectFault({ kind: 'timeout' }, { path: TOKEN_PATH });
    const error = await vendorErrorOf(connector.probe(session(undefined, {}, 300)));
    expect(error).toMatchObject({ operation: 'token', kind: 'timeout', retryable: true });
  });

  it('a body that arrives slower than the timeout is a timeout too', async () => {
    fake.injectFault({ kind: 'slow-body', delayMs: 2000 }, { path: PROBE_PATH });
    const error = await vendorErrorOf(connector.probe(session(undefined, {}, 300)));
    expect(error).toMatchObject({ operation: 'probe', kind: 'timeout' });
  });

  it('needs a platform or a base URL, and builds the documented platform host', () => {
    expect(connector.configSchema.safeParse({}).success).toBe(false);
    expect(connector.configSchema.safeParse({ platform: 'merlot' }).success).toBe(true);
    expect(connector.configSchema.safeParse({ platform: 'chablis' }).success).toBe(false);
  });
});
