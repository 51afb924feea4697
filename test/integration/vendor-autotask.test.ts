import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../shared/vendors/autotask';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { fakeSession, vendorErrorOf } from '../fakes/core/session';

const fake = new AutotaskFake();
let baseUrl = '';
const PROBE_PATH = '/ATServicesRest/V1.0/ThresholdInformation';
const ZONE_PATH = '/atservicesrest/V1.0/ZoneInformation';

beforeAll(async () => {
  baseUrl = await fake.start();
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

const session = (credentials: object = FAKE_AUTOTASK_CREDENTIALS, config: object = { baseUrl }, timeoutMs?: number) =>
  fakeSession('autotask', connector, credentials, config, timeoutMs ? { timeoutMs } : {});

describe('Autotask connector against its fake', () => {
  it('looks the zone up, then probes ThresholdInformation with the documented headers and reports quota', async () => {
    const result = await connector.probe(session());
    expect(result.quota).toEqual({ used: 1, limit: 10_000, windowSeconds: 3600, headroom: 0.9999 });
    expect(result.resolvedConfig).toEqual({ zoneUrl: `${baseUrl}/ATServicesRest` });

    const [zone] = fake.received('GET', ZONE_PATH);
    expect(zone?.query).toEqual({ user: FAKE_AUTOTASK_CREDENTIALS.username });
    const [probe] = fake.received('GET', PROBE_PATH);
    expect(probe?.path).toBe('/ATServicesRest/V1.0/ThresholdInformation');
    expect(probe?.headers).toMatchObject({
      apiintegrationcode: FAKE_AUTOTASK_CREDENTIALS.integrationCode,
      username: FAKE_AUTOTASK_CREDENTIALS.username,
      secret: FAKE_AUTOTASK_CREDENTIALS.secret,
      accept: 'application/json',
    });
    expect(probe?.body).toBe('');
  });

  it('caches the zone per integration and skips the lookup once the zone is saved', async () => {
    const first = session();
    await connector.probe(first);
    await connector.probe(first);
    expect(fake.count('GET', ZONE_PATH)).toBe(1);
    expect(fake.count('GET', PROBE_PATH)).toBe(2);

    const saved = await connector.probe(
      session(FAKE_AUTOTASK_CREDENTIALS, { baseUrl, zoneUrl: `${baseUrl}/ATServicesRest` }),
    );
    expect(saved.resolvedConfig).toBeUndefined();
    expect(fake.count('GET', ZONE_PATH)).toBe(1);
  });

  it('a wrong secret is an auth error with the vendor message verbatim, after exactly one probe request', async () => {
    const error = await vendorErrorOf(connector.probe(session({ ...FAKE_AUTOTASK_CREDENTIALS, secret: 'wrong' })));
    expect(error).toMatchObject({
      vendor: 'autotask',
      operation: 'probe',
      kind: 'auth',
      httpStatus: 401,
      retryable: false,
      vendorMessage: 'User authentication failed: the UserName or Secret is not valid.',
    });
    expect(fake.count('GET', PROBE_PATH)).toBe(1);
    expect(error.message).not.toContain('wrong');
  });

  it('an unknown user fails at the zone lookup with the vendor message', async () => {
    const error = await vendorErrorOf(
      connector.probe(session({ ...FAKE_AUTOTASK_CREDENTIALS, username: 'nobody@x.example' })),
    );
    expect(error).toMatchObject({ operation: 'zone-lookup', kind: 'not_found', retryable: false });
    expect(error.vendorMessage).toBe('Zone information could not be determined for user nobody@x.example.');
    expect(fake.count('GET', PROBE_PATH)).toBe(0);
  });

  it.each([
    [403, 'forbidden', false],
    [404, 'not_found', false],
    [500, 'unavailable', true],
    [502, 'unavailable', true],
    [503, 'unavailable', true],
  ] as const)(
    'HTTP %i from the probe is kind %s (retryable %s) and is not retried',
    async (status, kind, retryable) => {
      fake.injectFault({ kind: 'status', status }, { path: PROBE_PATH });
      const error = await vendorErrorOf(connector.probe(session()));
      expect(error).toMatchObject({ kind, retryable, httpStatus: status });
      expect(error.vendorMessage).not.toBe('');
      expect(fake.count('GET', PROBE_PATH)).toBe(1);
    },
  );

  it('429 with Retry-After is rate_limited with retryAfterMs', async () => {
    fake.injectFault({ kind: 'status', status: 429, headers: { 'Retry-After': '17' } }, { path: PROBE_PATH });
    const error = await vendorErrorOf(connector.probe(session()));
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 17_000, httpStatus: 429 });
    expect(fake.count('GET', PROBE_PATH)).toBe(1);
  });

  it('a vendor that never answers is a timeout; a reset connection is a network error', async () => {
    fake.injectFault({ kind: 'timeout' }, { path: PROBE_PATH, times: 1 });
    const timeout = await vendorErrorOf(connector.probe(session(undefined, undefined, 300)));
    expect(timeout).toMatchObject({ kind: 'timeout', retryable: true });
    fake.injectFault({ kind: 'reset' }, { path: PROBE_PATH, times: 1 });
    const reset = await vendorErrorOf(connector.probe(session()));
    expect(reset).toMatchObject({ kind: 'network', retryable: true });
    expect(fake.count('GET', PROBE_PATH)).toBe(2);
  });
});
