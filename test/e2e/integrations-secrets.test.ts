import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_DUE_HIDDEN_AGAIN } from '../../shared/bus/storage-queue-bus';
import { VENDOR_IDS, type VendorId } from '../../shared/vendors/contract';
import { connectors } from '../../shared/vendors/registry';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * What docs/design.md §7 and §9 promise, on the local host as a child process:
 * - 429 honours Retry-After on the host's virtual clock: the retry waits for the clock, not for a
 *   backoff, and the vendor hears nothing in between;
 * - nothing the host writes to stdout/stderr at LOG_LEVEL=debug while integrations of every vendor
 *   are tested, created, probed, failed (401 bodies that echo the credential included), updated and
 *   deleted contains a credential value.
 *
 * The host gets its own in-memory Azurite: hosts of other test files share the suite's Azurite and
 * run the 5-minute probe timer, which would probe these integrations and spoil the request counts.
 */
let host: HostProcess;
let fakes: RunningFakes;
let key: string;

beforeAll(async () => {
  fakes = await startAllFakes();
  const env = sharedAzuriteEnv({
    LOCAL_AZURITE: 'memory',
    LOCAL_AZURITE_BLOB_PORT: '0',
    LOCAL_AZURITE_QUEUE_PORT: '0',
    LOCAL_AZURITE_TABLE_PORT: '0',
    LOCAL_TIMERS: 'manual',
    LOG_LEVEL: 'debug',
  });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
});

afterAll(async () => {
  await host?.stop();
  await fakes?.stop();
});

type Status = {
  integrationId: string;
  state: string;
  lastCheckAt: string | null;
  retryAt: string | null;
  lastError: { status: number | null; vendorMessage: string | null; reason: string } | null;
};

async function statusOf(id: string): Promise<Status | undefined> {
  const res = await call(host.baseUrl, 'GET', '/api/v1/integrations/status', { key });
  expect(res.status).toBe(200);
  return (res.json.items as Status[]).find((i) => i.integrationId === id);
}

async function recheckAndSettle(id: string, expected: string): Promise<Status> {
  const before = await statusOf(id);
  const res = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/recheck`, { key });
  expect(res.status).toBe(202);
  return eventually(async () => {
    const s = await statusOf(id);
    return s && s.state === expected && s.lastCheckAt !== null && s.lastCheckAt !== before?.lastCheckAt ? s : undefined;
  }, 30_000);
}

function secretField(vendor: VendorId): string {
  const good = FAKE_CREDENTIALS[vendor];
  const field = connectors[vendor].catalog.credentialFields.find((f) => f.secret && f.name in good);
  if (!field) throw new Error(`${vendor} has no secret credential field`);
  return field.name;
}

const wrong = (vendor: VendorId) => {
  const good = FAKE_CREDENTIALS[vendor];
  const field = secretField(vendor);
  return { ...good, [field]: `${good[field]}-wrong` };
};

describe('429 Retry-After on the host clock', () => {
  it('schedules the retry 120 s after the 429, sends nothing until the clock moves, then connects with exactly two requests', async () => {
    const vendor: VendorId = 'itglue';
    const created = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
      key,
      body: {
        vendor,
        name: 'rate limited',
        credentials: FAKE_CREDENTIALS[vendor],
        config: fakeConfig(vendor, fakes.baseUrls[vendor]),
      },
    });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const fake = fakes.servers[vendor];
    const probes = () => fake.count('GET', '/organizations');
    fake.injectFault({ kind: 'status', status: 429, headers: { 'Retry-After': '120' } }, { times: 1 });

    const before = probes();
    const clockBefore = await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 0 } });
    const sentAt = Date.parse(clockBefore.json.now as string);
    const recheck = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/recheck`, { key });
    expect(recheck.status).toBe(202);
    const runId = recheck.json.runId as string;
    const waiting = await eventually(async () => {
      const s = await statusOf(id);
      return s?.retryAt ? s : undefined;
    });
    const clockAfter = await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 0 } });
    const retryAt = Date.parse(waiting.retryAt!);
    // The 429 arrived between the two clock readings; the retry is due 120 s after it.
    expect(retryAt).toBeGreaterThanOrEqual(sentAt + 120_000);
    expect(retryAt).toBeLessThanOrEqual(Date.parse(clockAfter.json.now as string) + 120_000);
    expect(waiting.lastError).toMatchObject({ status: 429, reason: 'rate_limited' });
    expect(probes() - before).toBe(1);

    // The host's bus re-checks the scheduled retry every second against its clock: two of those
    // re-checks seen after the 429 prove time passed without a second vendor request.
    const retryMessage = `${id}:probe:${runId}:1`;
    const hiddenAgain = () =>
      host
        .output()
        .split('\n')
        .filter((line) => line.includes(NOT_DUE_HIDDEN_AGAIN) && line.includes(retryMessage)).length;
    await eventually(() => hiddenAgain() >= 2);
    expect(probes() - before).toBe(1);
    expect((await statusOf(id))?.state).not.toBe('connected');

    const moved = await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 120_000 } });
    expect(moved.status).toBe(200);
    const settled = await eventually(async () => {
      const s = await statusOf(id);
      return s?.state === 'connected' ? s : undefined;
    }, 30_000);
    expect(settled.retryAt).toBeNull();
    expect(probes() - before).toBe(2);
    const history = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}/health?hours=1`, { key });
    expect((history.json.items as { attempts: number; state: string }[])[0]).toMatchObject({
      state: 'connected',
      attempts: 2,
    });
  }, 60_000);
});

describe('no credential value in the host log', () => {
  it('creates, tests, probes, fails, updates and deletes integrations of every vendor at LOG_LEVEL=debug', async () => {
    for (const vendor of VENDOR_IDS) {
      const config = fakeConfig(vendor, fakes.baseUrls[vendor]);
      const good = FAKE_CREDENTIALS[vendor];
      const tested = await call(host.baseUrl, 'POST', '/api/v1/integrations/test', {
        key,
        body: { vendor, credentials: good, config },
      });
      expect(tested.json.ok).toBe(true);
      const refused = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
        key,
        body: { vendor, name: `${vendor} refused`, credentials: wrong(vendor), config },
      });
      expect(refused.status).toBe(422);

      const created = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
        key,
        body: { vendor, name: `${vendor} logged`, credentials: good, config },
      });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      await recheckAndSettle(id, 'connected');

      // A vendor that answers 401 quoting the credential it refused (some echo the key or the
      // Authorization header back): the hub must not carry it into logs, status or history.
      const echoed = Object.values(good).join(' | ');
      fakes.servers[vendor].injectFault(
        { kind: 'status', status: 401, body: fakes.servers[vendor].errorBody(401, `Refused credentials: ${echoed}`) },
        { times: 1 },
      );
      const failed = await recheckAndSettle(id, 'needs_attention');
      expect(failed.lastError?.status).toBe(401);
      expect(failed.lastError?.vendorMessage).toContain('Refused credentials: [redacted]');
      for (const value of Object.values(good)) expect(JSON.stringify(failed)).not.toContain(value);
      const history = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}/health?hours=1`, { key });
      for (const value of Object.values(good)) expect(history.text).not.toContain(value);

      const saved = await call(host.baseUrl, 'POST', '/api/v1/integrations/test', {
        key,
        body: { vendor, credentials: wrong(vendor), config },
      });
      expect(saved.json.ok).toBe(false);

      const updated = await call(host.baseUrl, 'PATCH', `/api/v1/integrations/${id}`, {
        key,
        body: { credentials: good },
      });
      expect(updated.status).toBe(200);
      await recheckAndSettle(id, 'connected');
      fakes.servers[vendor].injectFault({ kind: 'status', status: 503 }, { times: 1 });
      const tick = await call(host.baseUrl, 'POST', '/admin/functions/health-probe-timer');
      expect(tick.status).toBe(202);
      expect((await call(host.baseUrl, 'DELETE', `/api/v1/integrations/${id}`, { key })).status).toBe(204);
    }

    const output = host.output();
    // The run was logged at debug: the probe lines are there, with ids but no secrets.
    expect(output).toContain('"msg":"probe finished"');
    for (const vendor of VENDOR_IDS) {
      for (const value of Object.values(FAKE_CREDENTIALS[vendor])) {
        expect(output.includes(value), `${vendor} credential value in the host log`).toBe(false);
      }
    }
  }, 240_000);
});
