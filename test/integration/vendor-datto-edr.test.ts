import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../shared/vendors/datto-edr';
import { fakeSession, vendorErrorOf } from '../fakes/core/session';
import { DattoEdrFake, FAKE_DATTO_EDR_CREDENTIALS } from '../fakes/datto-edr';

const fake = new DattoEdrFake();
let baseUrl = '';
const PROBE_PATH = '/api/users/me';

beforeAll(async () => {
  baseUrl = await fake.start();
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

const session = (credentials: object = FAKE_DATTO_EDR_CREDENTIALS, extra: object = {}, timeoutMs?: number) =>
  fakeSession('datto-edr', connector, credentials, { baseUrl, ...extra }, timeoutMs ? { timeoutMs } : {});

describe('Datto EDR connector against its fake', () => {
  it('sends the raw token in Authorization to GET /api/users/me and reports the token expiry', async () => {
    const result = await connector.probe(session(undefined, { tokenCreatedAt: '2026-02-01' }));
    expect(result.expiries).toEqual([{ what: 'Datto EDR API token', at: '2027-02-01T00:00:00.000Z' }]);
    const [probe] = fake.received('GET', PROBE_PATH);
    expect(probe?.headers.authorization).toBe(FAKE_DATTO_EDR_CREDENTIALS.apiToken);
    expect(probe?.headers.accept).toBe('application/json');
    expect(fake.requests).toHaveLength(1);
  });

  it('without a creation date it asks for one instead of guessing an expiry', async () => {
    const result = await connector.probe(session());
    expect(result.expiries).toBeUndefined();
    expect(result.notes?.some((n) => n.includes('tokenCreatedAt'))).toBe(true);
  });

  it('a wrong token is kind auth with the LoopBack message verbatim, after one probe request', async () => {
    const error = await vendorErrorOf(connector.probe(session({ apiToken: 'not-the-token' })));
    expect(error).toMatchObject({
      kind: 'auth',
      httpStatus: 401,
      vendorMessage: 'Authorization Required',
      vendorCode: 'AUTHORIZATION_REQUIRED',
      retryable: false,
    });
    expect(fake.count('GET', PROBE_PATH)).toBe(1);
  });

  it.each([
    [403, 'forbidden', false],
    [404, 'not_found', false],
    [502, 'unavailable', true],
    [503, 'unavailable', true],
  ] as const)('HTTP %i is kind %s (retryable %s) with the vendor error body read', async (status, kind, retryable) => {
    fake.injectFault({ kind: 'status', status }, { path: PROBE_PATH });
    const error = await vendorErrorOf(connector.probe(session()));
    expect(error).toMatchObject({ kind, retryable, httpStatus: status, vendorCode: 'Error' });
    expect(fake.count('GET', PROBE_PATH)).toBe(1);
  });

  it('429 with Retry-After is rate_limited; a silent vendor is a timeout', async () => {
    fake.injectFault({ kind: 'status', status: 429, headers: { 'Retry-After': '5' } }, { path: PROBE_PATH, times: 1 });
    expect(await vendorErrorOf(connector.probe(session()))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 5000 });
    fake.injectFault({ kind: 'timeout' }, { path: PROBE_PATH, times: 1 });
    expect(await vendorErrorOf(connector.probe(session(undefined, {}, 300)))).toMatchObject({ kind: 'timeout' });
    expect(fake.count('GET', PROBE_PATH)).toBe(2);
  });

  it('builds https://<instance>.infocyte.com when no base URL is given', () => {
    expect(connector.configSchema.safeParse({ instance: 'acme' }).success).toBe(true);
    expect(connector.configSchema.safeParse({}).success).toBe(false);
    expect(connector.configSchema.safeParse({ instance: 'evil.example/x' }).success).toBe(false);
  });
});
