import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNSAVED_TEST_BUDGET } from '../../shared/integrations/sessions';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call } from '../support/http';

/**
 * One tenant cannot spend another tenant's vendor budget (docs/integrations.md "Rate limits"), over
 * HTTP through the local host: tenant B fires 350 unsaved connection tests with wrong tokens at the
 * Datto EDR host tenant A's saved integration uses. B's tests spend B's own small budget for
 * unsaved tests and stop reaching the vendor; A's saved integration and A's own tests are untouched.
 * (test/integration/vendor-budget-isolation.test.ts pins the exact counts on a still clock.)
 */
let host: HostProcess;
let fakes: RunningFakes;
const operatorKey = `op-${randomBytes(24).toString('hex')}`;

async function tenantAdminKey(name: string): Promise<string> {
  const res = await call(host.baseUrl, 'POST', '/api/v1/tenants', { key: operatorKey, body: { name } });
  expect(res.status, res.text).toBe(201);
  return (res.json as unknown as { adminKey: { key: string } }).adminKey.key;
}

beforeAll(async () => {
  fakes = await startAllFakes();
  host = await startHostProcess(
    sharedAzuriteEnv({ OPERATOR_API_KEY: operatorKey, LOCAL_TIMERS: 'manual', API_RATE_LIMIT_PER_MINUTE: '100000' }),
  );
});

afterAll(async () => {
  await host?.stop();
  await fakes?.stop();
});

describe('vendor budgets per tenant and credential, end to end', () => {
  it("tenant B's 350 unsaved tests against tenant A's vendor host leave A's next call unaffected", async () => {
    const a = await tenantAdminKey('Tenant A');
    const b = await tenantAdminKey('Tenant B');
    const config = fakeConfig('datto-edr', fakes.baseUrls['datto-edr']);
    const created = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
      key: a,
      body: { vendor: 'datto-edr', name: 'A EDR', credentials: FAKE_CREDENTIALS['datto-edr'], config },
    });
    expect(created.status, created.text).toBe(201);
    const integrationId = created.json.id as string;

    const edr = fakes.servers['datto-edr'];
    const before = edr.requests.length;
    let sentByB = 0;
    let heldBack = 0;
    const started = Date.now();
    for (let i = 0; i < 350; i++) {
      const tested = await call(host.baseUrl, 'POST', '/api/v1/integrations/test', {
        key: b,
        body: { vendor: 'datto-edr', credentials: { apiToken: `wrong-token-${i % 7}` }, config },
      });
      expect(tested.status, tested.text).toBe(200);
      expect(tested.json.ok).toBe(false);
      if (tested.json.vendorStatus === 401) sentByB++;
      else heldBack++;
    }
    // B reached the vendor only while its own unsaved-test budget lasted, one budget per window the
    // run touched (a loaded machine may take more than one window), and the rest never left the hub.
    const windows = 1 + Math.ceil((Date.now() - started) / (UNSAVED_TEST_BUDGET.windowSeconds * 1000));
    expect(sentByB).toBeGreaterThanOrEqual(UNSAVED_TEST_BUDGET.requests);
    expect(sentByB).toBeLessThanOrEqual(windows * UNSAVED_TEST_BUDGET.requests);
    expect(heldBack).toBeGreaterThan(0);
    expect(heldBack).toBe(350 - sentByB);
    expect(edr.requests.length - before).toBe(sentByB);

    // A's saved integration still reaches the vendor and passes, and so does A's own unsaved test.
    const saved = await call(host.baseUrl, 'POST', `/api/v1/integrations/${integrationId}/test`, { key: a });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.json).toMatchObject({ ok: true, vendorStatus: 200 });
    const own = await call(host.baseUrl, 'POST', '/api/v1/integrations/test', {
      key: a,
      body: { vendor: 'datto-edr', credentials: FAKE_CREDENTIALS['datto-edr'], config },
    });
    expect(own.json).toMatchObject({ ok: true, vendorStatus: 200 });
  }, 180_000);
});
