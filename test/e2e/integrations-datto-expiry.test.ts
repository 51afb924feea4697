import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CREDENTIALS, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call } from '../support/http';

/**
 * Onboarding Datto RMM and Datto EDR through the API (docs/integrations.md, "Expiry dates"): their
 * APIs do not report when a key or token expires, so creating an integration without the date is
 * 422 `expiry_date_required`, naming the field and where the vendor shows it, before anything is
 * sent to the vendor or saved; with the date (or RMM's explicit "never expires") it is created.
 */
let host: HostProcess;
let fakes: RunningFakes;
let key: string;

beforeAll(async () => {
  fakes = await startAllFakes();
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', LOG_LEVEL: 'info', API_RATE_LIMIT_PER_MINUTE: '100000' });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
});

afterAll(async () => {
  await host?.stop();
  await fakes?.stop();
});

const create = (vendor: 'datto-rmm' | 'datto-edr', name: string, config: Record<string, unknown>) =>
  call(host.baseUrl, 'POST', '/api/v1/integrations', {
    key,
    body: {
      vendor,
      name,
      credentials: FAKE_CREDENTIALS[vendor],
      config: { baseUrl: fakes.baseUrls[vendor], ...config },
    },
  });

async function names(vendor: string): Promise<string[]> {
  const res = await call(host.baseUrl, 'GET', `/api/v1/integrations?vendor=${vendor}&limit=100`, { key });
  expect(res.status).toBe(200);
  return (res.json.items as { name: string }[]).map((i) => i.name);
}

describe('Datto key expiry is asked for at create', () => {
  it('Datto RMM: 422 expiry_date_required without it, nothing sent or saved; created with a date or "never"', async () => {
    const rmm = fakes.servers['datto-rmm'];
    const before = rmm.requests.length;
    const refused = await create('datto-rmm', 'rmm without expiry', {});
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.json).toMatchObject({ code: 'expiry_date_required', field: 'config.apiKeyExpiresAt' });
    expect(refused.json.detail).toMatch(/apiKeyExpiresAt/);
    expect(refused.json.detail).toMatch(/Setup › Users/);
    expect(refused.json.detail).toMatch(/apiKeyNeverExpires/);
    expect(rmm.requests.length).toBe(before);
    expect(await names('datto-rmm')).not.toContain('rmm without expiry');

    const dated = await create('datto-rmm', 'rmm dated', { apiKeyExpiresAt: '2099-03-01' });
    expect(dated.status).toBe(201);
    expect(dated.json.config).toMatchObject({ apiKeyExpiresAt: '2099-03-01' });
    expect(dated.json.test).toMatchObject({
      ok: true,
      expiries: [{ what: 'Datto RMM API key', at: '2099-03-01T00:00:00.000Z' }],
    });
    const never = await create('datto-rmm', 'rmm never', { apiKeyNeverExpires: true });
    expect(never.status).toBe(201);
    expect(await names('datto-rmm')).toEqual(expect.arrayContaining(['rmm dated', 'rmm never']));
  });

  it('Datto EDR: 422 without tokenExpiresAt or tokenCreatedAt; created with either, the expiry watched', async () => {
    const edr = fakes.servers['datto-edr'];
    const before = edr.requests.length;
    const refused = await create('datto-edr', 'edr without expiry', {});
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ code: 'expiry_date_required', field: 'config.tokenExpiresAt' });
    expect(refused.json.detail).toMatch(/tokenExpiresAt.*tokenCreatedAt.*API tokens/);
    expect(edr.requests.length).toBe(before);
    expect(await names('datto-edr')).not.toContain('edr without expiry');

    const expiring = await create('datto-edr', 'edr expiring', { tokenExpiresAt: '2099-06-30' });
    expect(expiring.status).toBe(201);
    expect((expiring.json.test as { expiries: unknown }).expiries).toEqual([
      { what: 'Datto EDR API token', at: '2099-06-30T00:00:00.000Z' },
    ]);
    const made = await create('datto-edr', 'edr made', { tokenCreatedAt: '2098-06-30' });
    expect(made.status).toBe(201);
    expect((made.json.test as { expiries: unknown }).expiries).toEqual([
      { what: 'Datto EDR API token', at: '2099-06-30T00:00:00.000Z' },
    ]);
  });

  it('the code is in the error catalog with its status', async () => {
    const res = await call(host.baseUrl, 'GET', '/api/v1/error-catalog/expiry_date_required', { key });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ code: 'expiry_date_required', status: 422 });
  });
});
