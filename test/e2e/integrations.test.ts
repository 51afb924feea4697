import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VENDOR_IDS, type VendorId } from '../../shared/vendors/contract';
import { connectors } from '../../shared/vendors/registry';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * What docs/design.md §7 promises, through the API on the local host against the eight fake vendors:
 * good credentials test ok and probe `connected`; bad ones end `needs_attention` with the vendor's
 * message verbatim after exactly one vendor request; a vendor answering 503 is retried inside the
 * probe run and ends `disconnected`, then `connected` again once it recovers.
 * Timers are manual here, so no 5-minute tick adds requests the counts would have to explain.
 */
let host: HostProcess;
let fakes: RunningFakes;
let key: string;

beforeAll(async () => {
  fakes = await startAllFakes();
  // The status page is polled while probes settle: a rate limit above the polling keeps 429s out.
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', LOG_LEVEL: 'info', API_RATE_LIMIT_PER_MINUTE: '100000' });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
});

afterAll(async () => {
  await host?.stop();
  await fakes?.stop();
});

type Status = {
  state: string;
  lastCheckAt: string | null;
  lastError: { status: number | null; vendorMessage: string | null; hint: string | null } | null;
  flapping: boolean;
};

async function statusOf(integrationId: string): Promise<Status | undefined> {
  const res = await call(host.baseUrl, 'GET', '/api/v1/integrations/status', { key });
  expect(res.status).toBe(200);
  const items = res.json.items as (Status & { integrationId: string })[];
  return items.find((i) => i.integrationId === integrationId);
}

/** Ask for a probe now and wait until it has settled after the request. */
async function recheckAndSettle(integrationId: string, expected: string, timeoutMs = 30_000): Promise<Status> {
  const before = new Date().toISOString();
  const res = await call(host.baseUrl, 'POST', `/api/v1/integrations/${integrationId}/recheck`, { key });
  expect(res.status).toBe(202);
  return eventually(
    async () => {
      const s = await statusOf(integrationId);
      return s && s.state === expected && s.lastCheckAt !== null && s.lastCheckAt >= before ? s : undefined;
    },
    timeoutMs,
    200,
  );
}

function wrongCredentials(vendor: VendorId): Record<string, string> {
  const good = FAKE_CREDENTIALS[vendor];
  const secretField = connectors[vendor].catalog.credentialFields.find((f) => f.secret && f.name in good);
  if (!secretField) throw new Error(`${vendor} has no secret credential field`);
  return { ...good, [secretField.name]: `${good[secretField.name]}-wrong` };
}

/**
 * Requests the fake received, leaving out Autotask's zone lookup: it carries no credentials (only
 * the user name) and runs before the first authenticated call of an integration saved untested.
 */
const vendorRequests = (vendor: VendorId) =>
  fakes.servers[vendor].requests.filter((r) => !/ZoneInformation/i.test(r.path)).length;

/** Microsoft's messages end with per-response trace and correlation ids; the rest is the same text. */
const stable = (message: string | null | undefined) => message?.replace(/ Trace ID: .*$/s, '');

describe('integrations over HTTP with the fake vendors', () => {
  it('lists all eight vendors with their credential fields', async () => {
    const res = await call(host.baseUrl, 'GET', '/api/v1/vendors', { key });
    expect(res.status).toBe(200);
    const items = res.json.items as { id: string; credentialFields: { secret: boolean }[] }[];
    expect(items.map((i) => i.id)).toEqual([...VENDOR_IDS]);
    for (const item of items) expect(item.credentialFields.some((f) => f.secret)).toBe(true);
  });

  it.each(VENDOR_IDS)('%s: good credentials test ok, save, and probe connected', async (vendor) => {
    const config = fakeConfig(vendor, fakes.baseUrls[vendor]);
    const tested = await call(host.baseUrl, 'POST', '/api/v1/integrations/test', {
      key,
      body: { vendor, credentials: FAKE_CREDENTIALS[vendor], config },
    });
    expect(tested.status).toBe(200);
    expect(tested.json).toMatchObject({ ok: true, status: expect.stringMatching(/connected|needs_attention/) });

    const created = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
      key,
      body: { vendor, name: `${vendor} (fake)`, credentials: FAKE_CREDENTIALS[vendor], config },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ vendor, isDefault: true });
    expect(JSON.stringify(created.json)).not.toContain(Object.values(FAKE_CREDENTIALS[vendor]).at(-1));
    const id = created.json.id as string;

    const settled = await recheckAndSettle(id, 'connected');
    expect(settled.lastError).toBeNull();

    const got = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}`, { key });
    expect(got.status).toBe(200);
    expect(got.json).not.toHaveProperty('credentials');
    expect(got.json).not.toHaveProperty('encryptedCredentials');
    for (const value of Object.values(FAKE_CREDENTIALS[vendor])) {
      if (value.length >= 8) expect(got.text).not.toContain(value);
    }
  });

  it.each(VENDOR_IDS)(
    '%s: bad credentials are refused before saving, and a saved bad key ends needs_attention after one request',
    async (vendor) => {
      const config = fakeConfig(vendor, fakes.baseUrls[vendor]);
      const credentials = wrongCredentials(vendor);
      const refused = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
        key,
        body: { vendor, name: `${vendor} bad`, credentials, config },
      });
      expect(refused.status).toBe(422);
      expect(refused.json.code).toBe('integration_test_failed');
      const test = refused.json.test as { ok: boolean; status: string; vendorMessage: string | null };
      expect(test).toMatchObject({ ok: false, status: 'needs_attention' });
      expect(test.vendorMessage).toBeTruthy();

      const saved = await call(host.baseUrl, 'POST', '/api/v1/integrations?skipTest=true', {
        key,
        body: { vendor, name: `${vendor} bad (saved)`, credentials, config },
      });
      expect(saved.status).toBe(201);
      const before = vendorRequests(vendor);
      const settled = await recheckAndSettle(saved.json.id as string, 'needs_attention');
      expect(vendorRequests(vendor) - before).toBe(1);
      // The vendor's own words, verbatim: the same text the unsaved test showed.
      expect(stable(settled.lastError?.vendorMessage)).toBe(stable(test.vendorMessage));
      expect(settled.lastError?.status).toBeGreaterThanOrEqual(400);
      expect(settled.lastError?.hint).toBeTruthy();
    },
  );

  it.each(['autotask', 'datto-rmm', 'microsoft365'] as const)(
    '%s: a vendor answering 503 ends disconnected after the planned retries, then connected once it recovers',
    async (vendor) => {
      const created = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
        key,
        body: {
          vendor,
          name: `${vendor} flaky`,
          credentials: FAKE_CREDENTIALS[vendor],
          config: fakeConfig(vendor, fakes.baseUrls[vendor]),
        },
      });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      await recheckAndSettle(id, 'connected');

      fakes.servers[vendor].injectFault({ kind: 'status', status: 503 });
      const down = await recheckAndSettle(id, 'disconnected', 60_000);
      expect(down.lastError?.status).toBe(503);
      const history = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}/health?hours=1`, { key });
      expect(history.status).toBe(200);
      const latest = (history.json.items as { state: string; attempts: number }[])[0];
      expect(latest).toMatchObject({ state: 'disconnected', attempts: 4 });

      fakes.servers[vendor].clearFaults();
      const up = await recheckAndSettle(id, 'connected');
      expect(up.lastError).toBeNull();
    },
    90_000,
  );

  it('keeps exactly one default per vendor and moves it atomically', async () => {
    const vendor: VendorId = 'itglue';
    const config = fakeConfig(vendor, fakes.baseUrls[vendor]);
    const body = (name: string) => ({ vendor, name, credentials: FAKE_CREDENTIALS[vendor], config });
    const list = async () => {
      const res = await call(host.baseUrl, 'GET', `/api/v1/integrations?vendor=${vendor}`, { key });
      return res.json.items as { id: string; isDefault: boolean }[];
    };
    const a = await call(host.baseUrl, 'POST', '/api/v1/integrations?skipTest=true', { key, body: body('A') });
    const b = await call(host.baseUrl, 'POST', '/api/v1/integrations?skipTest=true', { key, body: body('B') });
    const defaults = (await list()).filter((i) => i.isDefault);
    expect(defaults).toHaveLength(1);
    const other = [a.json.id, b.json.id].find((id) => id !== defaults[0]!.id) as string;
    const moved = await call(host.baseUrl, 'PATCH', `/api/v1/integrations/${other}`, {
      key,
      body: { isDefault: true },
    });
    expect(moved.status).toBe(200);
    expect((await list()).filter((i) => i.isDefault).map((i) => i.id)).toEqual([other]);
    const deleted = await call(host.baseUrl, 'DELETE', `/api/v1/integrations/${other}`, { key });
    expect(deleted.status).toBe(204);
    expect((await list()).filter((i) => i.isDefault)).toHaveLength(1);
  });

  it('refuses a private-address opt-in without the admin scope and unknown vendors', async () => {
    const unknown = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
      key,
      body: { vendor: 'nope', name: 'x', credentials: {} },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.code).toBe('validation_failed');
    const missing = await call(host.baseUrl, 'GET', '/api/v1/integrations/01ARZ3NDEKTSV4RRFFQ69G5FAV', { key });
    expect(missing.status).toBe(404);

    // A key with the integrations scopes but not `admin`: it may manage integrations, but it may not
    // open a private address, nor repoint an opted-in integration at other hosts.
    const minted = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key,
      body: { name: 'integrations only', scopes: ['integrations:read', 'integrations:write'] },
    });
    expect(minted.status).toBe(201);
    const writer = minted.json.key as string;
    const vendor: VendorId = 'autotask';
    const body = {
      vendor,
      name: 'on the LAN',
      credentials: FAKE_CREDENTIALS[vendor],
      config: fakeConfig(vendor, fakes.baseUrls[vendor]),
      allowPrivateAddress: true,
    };
    const refused = await call(host.baseUrl, 'POST', '/api/v1/integrations?skipTest=true', { key: writer, body });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: 'insufficient_scope', requiredScope: 'admin' });
    const opted = await call(host.baseUrl, 'POST', '/api/v1/integrations?skipTest=true', { key, body });
    expect(opted.status).toBe(201);
    expect(opted.json.allowPrivateAddress).toBe(true);
    const id = opted.json.id as string;
    const repoint = await call(host.baseUrl, 'PATCH', `/api/v1/integrations/${id}?skipTest=true`, {
      key: writer,
      body: { config: { baseUrl: 'http://10.1.2.3:8443' } },
    });
    expect(repoint.status).toBe(403);
    expect(repoint.json.code).toBe('insufficient_scope');
    const rename = await call(host.baseUrl, 'PATCH', `/api/v1/integrations/${id}`, {
      key: writer,
      body: { name: 'on the LAN (renamed)' },
    });
    expect(rename.status).toBe(200);
    const after = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}`, { key });
    expect((after.json.config as { baseUrl: string }).baseUrl).toBe(fakes.baseUrls[vendor]);
  });
});
