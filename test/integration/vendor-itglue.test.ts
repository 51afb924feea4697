import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connector, createItGlueConnector, ITGLUE_REGIONS, type ItGlueRegion } from '../../shared/vendors/itglue';
import { fakeSession, vendorErrorOf } from '../fakes/core/session';
import { FAKE_ITGLUE_CREDENTIALS, ItGlueFake } from '../fakes/itglue';

// One fake per region; the good key belongs to the EU data centre.
const fakes: Record<ItGlueRegion, ItGlueFake> = {
  us: new ItGlueFake('us', 'eu'),
  eu: new ItGlueFake('eu', 'eu'),
  au: new ItGlueFake('au', 'eu'),
};
const hosts = {} as Record<ItGlueRegion, string>;
const PROBE_PATH = '/organizations';

beforeAll(async () => {
  for (const region of ITGLUE_REGIONS) hosts[region] = await fakes[region].start();
});
afterAll(async () => {
  await Promise.all(ITGLUE_REGIONS.map((r) => fakes[r].stop()));
});
beforeEach(() => {
  for (const region of ITGLUE_REGIONS) fakes[region].reset();
});

const discovering = () => createItGlueConnector(hosts);
const session = (
  credentials: object = FAKE_ITGLUE_CREDENTIALS,
  config: object = { baseUrl: hosts.eu },
  timeoutMs?: number,
) => fakeSession('itglue', connector, credentials, config, timeoutMs ? { timeoutMs } : {});

describe('IT Glue connector against its fakes', () => {
  it('probes GET /organizations?page[size]=1 with x-api-key and the JSON:API media type', async () => {
    const result = await connector.probe(session());
    expect(result).toEqual({});
    const [probe] = fakes.eu.received('GET', PROBE_PATH);
    expect(probe?.query).toEqual({ 'page[size]': '1' });
    expect(probe?.headers).toMatchObject({
      'x-api-key': FAKE_ITGLUE_CREDENTIALS.apiKey,
      accept: 'application/vnd.api+json',
    });
  });

  it('with a blank region tries US, then EU, stops at the region that answers and reports it', async () => {
    const itglue = discovering();
    const result = await itglue.probe(fakeSession('itglue', itglue, FAKE_ITGLUE_CREDENTIALS, {}));
    expect(result.resolvedConfig).toEqual({ region: 'eu' });
    expect([fakes.us, fakes.eu, fakes.au].map((f) => f.count('GET', PROBE_PATH))).toEqual([1, 1, 0]);
  });

  it('a saved region is used directly; a key from another region is refused there as auth', async () => {
    const itglue = discovering();
    await itglue.probe(fakeSession('itglue', itglue, FAKE_ITGLUE_CREDENTIALS, { region: 'eu' }));
    expect(fakes.us.count('GET', PROBE_PATH)).toBe(0);
    const wrong = await vendorErrorOf(
      itglue.probe(fakeSession('itglue', itglue, FAKE_ITGLUE_CREDENTIALS, { region: 'au' })),
    );
    expect(wrong).toMatchObject({ kind: 'auth', httpStatus: 401, vendorMessage: 'Invalid API key' });
  });

  it('a bad key is auth with the message verbatim after exactly one request per region', async () => {
    const itglue = discovering();
    const error = await vendorErrorOf(itglue.probe(fakeSession('itglue', itglue, { apiKey: 'ITG.bad' }, {})));
    expect(error).toMatchObject({ kind: 'auth', httpStatus: 401, vendorMessage: 'Invalid API key', retryable: false });
    expect([fakes.us, fakes.eu, fakes.au].map((f) => f.count('GET', PROBE_PATH))).toEqual([1, 1, 1]);
  });

  it('a bad key against a known base URL is one request', async () => {
    const error = await vendorErrorOf(connector.probe(session({ apiKey: 'ITG.bad' })));
    expect(error.kind).toBe('auth');
    expect(fakes.eu.count('GET', PROBE_PATH)).toBe(1);
  });

  it('discovery stops at a failure that is not "unknown key here"', async () => {
    fakes.us.injectFault({ kind: 'status', status: 503 }, { path: PROBE_PATH });
    const itglue = discovering();
    const error = await vendorErrorOf(itglue.probe(fakeSession('itglue', itglue, FAKE_ITGLUE_CREDENTIALS, {})));
    expect(error).toMatchObject({ kind: 'unavailable', retryable: true, vendorMessage: 'Service Unavailable' });
    expect(fakes.eu.count('GET', PROBE_PATH)).toBe(0);
  });

  it.each([
    [403, 'forbidden'],
    [404, 'not_found'],
    [500, 'unavailable'],
  ] as const)('HTTP %i is kind %s', async (status, kind) => {
    fakes.eu.injectFault({ kind: 'status', status }, { path: PROBE_PATH });
    expect(await vendorErrorOf(connector.probe(session()))).toMatchObject({ kind, httpStatus: status });
    expect(fakes.eu.count('GET', PROBE_PATH)).toBe(1);
  });

  it('429 with Retry-After is rate_limited; a silent vendor is a timeout', async () => {
    fakes.eu.injectFault(
      { kind: 'status', status: 429, headers: { 'Retry-After': '60' } },
      { path: PROBE_PATH, times: 1 },
    );
    expect(await vendorErrorOf(connector.probe(session()))).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 60_000,
    });
    fakes.eu.injectFault({ kind: 'timeout' }, { path: PROBE_PATH, times: 1 });
    expect(await vendorErrorOf(connector.probe(session(undefined, undefined, 300)))).toMatchObject({ kind: 'timeout' });
  });

  it('never writes: every request it made was a GET', async () => {
    const itglue = discovering();
    await itglue.probe(fakeSession('itglue', itglue, FAKE_ITGLUE_CREDENTIALS, {}));
    const all = ITGLUE_REGIONS.flatMap((r) => fakes[r].requests);
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((r) => r.method === 'GET')).toBe(true);
  });
});
