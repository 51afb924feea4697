import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handleProbeMessage } from '../../shared/health/run-probe';
import { integrationStatusReport } from '../../shared/health/status';
import { classifyFailure } from '../../shared/integrations/classify';
import { createIntegration } from '../../shared/integrations/manage';
import { integrationBudgetKey } from '../../shared/integrations/sessions';
import { connector as autotask } from '../../shared/vendors/autotask';
import { connector as rmm } from '../../shared/vendors/datto-rmm';
import { FAKE_CREDENTIALS, fakeConfig } from '../fakes/core/all-fakes';
import { fakeSession, vendorErrorOf } from '../fakes/core/session';
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
let h: Harness;

beforeAll(async () => {
  installLocalSettings();
  h = harness();
  await fake.start();
});
afterAll(() => fake.stop());
afterEach(() => fake.clearFaults());

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
        config: { baseUrl: fake.baseUrl },
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
