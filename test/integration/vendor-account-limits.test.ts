import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classifyFailure } from '../../shared/integrations/classify';
import { createIntegration, openIntegrationSession } from '../../shared/integrations/integrations';
import { integrationBudgetKey } from '../../shared/integrations/sessions';
import { handleProbeMessage } from '../../shared/probes/run-probe';
import { integrationStatusReport } from '../../shared/probes/status';
import { connector as autotask } from '../../shared/vendors/autotask';
import { ConcurrencyGate, processConcurrencyGate } from '../../shared/vendors/core/concurrency-gate';
import { createVendorHttp } from '../../shared/vendors/core/vendor-http';
import { connector as rmm } from '../../shared/vendors/datto-rmm';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { FAKE_CREDENTIALS, fakeConfig } from '../fakes/core/all-fakes';
import { fakeSession, LOOPBACK_POLICY, vendorErrorOf } from '../fakes/core/session';
import { DattoRmmFake, FAKE_DATTO_RMM_CREDENTIALS } from '../fakes/datto-rmm';
import {
  adminOf,
  type Harness,
  harness,
  installLocalSettings,
  probeDepsFor,
  RecordingBus,
  recheckDelivery,
  statusDepsFor,
} from '../support/integrations-harness';

/**
 * Vendor limits as the vendors count them (docs/integrations.md "Rate limits"): Datto RMM counts
 * per account, not per API key, and blocks the caller's address for a while after repeated 429s.
 */
const fake = new DattoRmmFake();
const at = new AutotaskFake();
let h: Harness;

beforeAll(async () => {
  installLocalSettings();
  h = harness();
  await Promise.all([fake.start(), at.start()]);
});
afterAll(() => Promise.all([fake.stop(), at.stop()]));
afterEach(() => {
  fake.clearFaults();
  at.release();
});

describe('Datto RMM budget per account', () => {
  it('the probe learns the account from request_rate, and the connection test saves it', async () => {
    const session = fakeSession('datto-rmm', rmm, FAKE_DATTO_RMM_CREDENTIALS, { baseUrl: fake.baseUrl });
    const result = await rmm.probe(session);
    expect(result.resolvedConfig).toEqual({ accountUid: 'fake-account-1' });
    // Once saved it is not learned again.
    const known = fakeSession('datto-rmm', rmm, FAKE_DATTO_RMM_CREDENTIALS, {
      baseUrl: fake.baseUrl,
      accountUid: 'fake-account-1',
    });
    expect((await rmm.probe(known)).resolvedConfig).toBeUndefined();
  });

  it('two API keys of one account spend one budget; another tenant or account spends its own', async () => {
    const config = { baseUrl: fake.baseUrl, accountUid: 'acct-1' };
    const parsed = rmm.configSchema.parse(config);
    const keyOf = (tenant: string, credentials: { apiKey: string; apiSecret: string }, c = parsed) =>
      integrationBudgetKey(tenant, 'datto-rmm', rmm.accountKey(credentials, c), credentials);
    const first = await keyOf('tenant-a', { apiKey: 'KEY-ONE', apiSecret: 'secret-one' });
    const second = await keyOf('tenant-a', { apiKey: 'KEY-TWO', apiSecret: 'secret-two' });
    expect(second).toBe(first);
    expect(await keyOf('tenant-b', { apiKey: 'KEY-ONE', apiSecret: 'secret-one' })).not.toBe(first);
    const otherAccount = rmm.configSchema.parse({ ...config, accountUid: 'acct-2' });
    expect(await keyOf('tenant-a', { apiKey: 'KEY-ONE', apiSecret: 'secret-one' }, otherAccount)).not.toBe(first);
    // The key is HMAC'd: neither the account nor the API key appears in it.
    expect(first).not.toContain('acct-1');
    expect(first).not.toContain('KEY-ONE');

    // Vendors that count per credential keep one budget per credential.
    const atConfig = autotask.configSchema.parse(fakeConfig('autotask', fake.baseUrl));
    const at = (credentials: Record<string, string>) =>
      integrationBudgetKey(
        'tenant-a',
        'autotask',
        autotask.accountKey(autotask.credentialsSchema.parse(credentials), atConfig),
        credentials,
      );
    const base = FAKE_CREDENTIALS.autotask as Record<string, string>;
    expect(await at(base)).not.toBe(await at({ ...base, secret: 'rotated-secret' }));
  });
});

describe('Datto RMM address block (403 with Retry-After)', () => {
  it('is a temporary block, waited out like a 429: disconnected with the wait, not needs_attention', async () => {
    fake.blockAddress(300);
    const session = fakeSession('datto-rmm', rmm, FAKE_DATTO_RMM_CREDENTIALS, { baseUrl: fake.baseUrl });
    const error = await vendorErrorOf(rmm.probe(session));
    expect(error).toMatchObject({
      kind: 'rate_limited',
      httpStatus: 403,
      retryAfterMs: 300_000,
      retryable: true,
      vendorCode: 'temporarily_blocked',
    });
    const classified = classifyFailure(rmm, error);
    expect(classified.state).toBe('disconnected');
    expect(classified.retry).toEqual({ kind: 'retry-after', delayMs: 300_000 });
    expect(classified.hint).toMatch(/lifts by itself/);

    // A 403 without Retry-After is still a permission problem.
    fake.clearFaults();
    fake.injectFault({ kind: 'status', status: 403, body: { message: 'Forbidden' } }, { times: 1 });
    const plain = await vendorErrorOf(
      rmm.probe(fakeSession('datto-rmm', rmm, FAKE_DATTO_RMM_CREDENTIALS, { baseUrl: fake.baseUrl })),
    );
    expect(classifyFailure(rmm, plain).state).toBe('needs_attention');
  });

  it('the status carries the retry time and the block, and the probe is retried then', async () => {
    const tenantId = adminOf().tenantId;
    const created = await createIntegration(
      h.integrations,
      adminOf(tenantId),
      {
        vendor: 'datto-rmm',
        name: 'blocked',
        credentials: FAKE_CREDENTIALS['datto-rmm'],
        config: { baseUrl: fake.baseUrl, apiKeyNeverExpires: true },
      },
      { skipTest: true, correlationId: 'corr-block' },
    );
    fake.blockAddress(300);
    const bus = new RecordingBus();
    const before = Date.now();
    await handleProbeMessage(probeDepsFor(h, bus), recheckDelivery(tenantId, created.id));
    const report = await integrationStatusReport(statusDepsFor(h, bus), tenantId);
    const item = report.items.find((i) => i.integrationId === created.id);
    expect(item?.state).not.toBe('needs_attention');
    expect(item?.lastError).toMatchObject({ status: 403, reason: 'rate_limited' });
    expect(item?.lastError?.hint).toMatch(/blocked the hub's address/);
    expect(Date.parse(item?.retryAt ?? '')).toBeGreaterThanOrEqual(before + 300_000);
    expect(bus.sent).toHaveLength(1);
  });
});

describe('Autotask thread limit (three requests in flight per tracking identifier and endpoint)', () => {
  const zoneConfig = () => ({ baseUrl: at.baseUrl, zoneUrl: `${at.baseUrl}/ATServicesRest/` });

  it('five probes at once: three go out, two wait in the gate, none is refused', async () => {
    at.maxThreads = 0;
    at.threadRefusals = 0;
    const gate = new ConcurrencyGate();
    const session = {
      ...fakeSession('autotask', autotask, FAKE_AUTOTASK_CREDENTIALS, zoneConfig()),
      http: createVendorHttp({
        vendor: 'autotask',
        policy: LOOPBACK_POLICY,
        accountKey: 'tenant-threads',
        concurrency: autotask.concurrency!,
        concurrencyGate: gate,
      }),
    };
    at.hold();
    const probes = Array.from({ length: 5 }, () => autotask.probe(session));
    // Three held by the fake and two waiting in the gate: nothing else can be on its way.
    await Promise.all([at.inFlightReaches(3), gate.whenWaiting(2)]);
    expect(at.requests.filter((r) => /ThresholdInformation$/.test(r.path))).toHaveLength(3);
    at.release();
    expect(await Promise.all(probes)).toHaveLength(5);
    expect(at.threadRefusals).toBe(0);
    expect(at.maxThreads).toBe(3);
    expect(gate.waiting()).toBe(0);
  });

  it('the fake refuses a fourth request in flight with 429, as Autotask does', async () => {
    at.threadRefusals = 0;
    const ungated = {
      ...fakeSession('autotask', autotask, FAKE_AUTOTASK_CREDENTIALS, zoneConfig()),
      http: createVendorHttp({ vendor: 'autotask', policy: LOOPBACK_POLICY }),
    };
    at.hold();
    const held = Array.from({ length: 3 }, () => autotask.probe(ungated));
    await at.inFlightReaches(3);
    const fourth = await vendorErrorOf(autotask.probe(ungated));
    expect(fourth).toMatchObject({ kind: 'rate_limited', httpStatus: 429 });
    expect(at.threadRefusals).toBe(1);
    at.release();
    await Promise.all(held);
  });

  it('a saved integration is gated by the process-wide gate', async () => {
    at.maxThreads = 0;
    at.threadRefusals = 0;
    const admin = adminOf();
    const created = await createIntegration(
      h.integrations,
      admin,
      { vendor: 'autotask', name: 'threads', credentials: FAKE_AUTOTASK_CREDENTIALS, config: zoneConfig() },
      { skipTest: true, correlationId: 'corr-threads' },
    );
    const { connector, session } = await openIntegrationSession(h.integrations, admin.tenantId, created.id, 'c-1');
    at.hold();
    const probes = Array.from({ length: 4 }, () => connector.probe(session));
    await Promise.all([at.inFlightReaches(3), processConcurrencyGate.whenWaiting(1)]);
    at.release();
    await Promise.all(probes);
    expect(at.threadRefusals).toBe(0);
    expect(at.maxThreads).toBe(3);
  });
});
