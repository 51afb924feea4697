import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CREDENTIALS, fakeConfig } from '../fakes/core/all-fakes';
import { createHaloFake, type HaloFakeServer } from '../fakes/halopsa';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call } from '../support/http';

/**
 * The reconcile routes through the local host (docs/reconcile.md): the diff over HTTP, apply
 * refusing what the hub did not create (the fake receives no DELETE), bad input as problem+json
 * that changes nothing, and a vendor with nothing to reconcile.
 */
let host: HostProcess;
let halo: HaloFakeServer;
let key: string;

beforeAll(async () => {
  halo = createHaloFake();
  await halo.start();
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', LOG_LEVEL: 'info' });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
});

afterAll(async () => {
  await host?.stop();
  await halo?.stop();
});

async function integration(vendor: 'halopsa' | 'pax8', baseUrl: string): Promise<string> {
  const created = await call(host.baseUrl, 'POST', '/api/v1/integrations?skipTest=true', {
    key,
    body: {
      vendor,
      name: `${vendor} reconcile`,
      credentials: FAKE_CREDENTIALS[vendor],
      config: fakeConfig(vendor, baseUrl),
    },
  });
  expect(created.status).toBe(201);
  return created.json.id as string;
}

describe('reconcile over HTTP', () => {
  it('reports a webhook the hub did not create and refuses to remove it, even confirmed', async () => {
    const id = await integration('halopsa', halo.baseUrl);
    const stranger = randomUUID();
    halo.webhooks.set(stranger, {
      id: stranger,
      name: 'Someone else',
      url: 'https://elsewhere.example/hook',
      authentication_type: 0,
      method: 1,
      basic_username: null,
      basic_password: null,
      active: true,
    });

    const report = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}/reconcile`, { key });
    expect(report.status).toBe(200);
    expect(report.json.items).toEqual([
      expect.objectContaining({ vendorId: stranger, class: 'unknown_to_us', createdByHub: false }),
    ]);

    const bad = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/reconcile/apply`, {
      key,
      body: { confirm: 'yes', actions: [{ item: `halopsa.webhook:${stranger}`, action: 'remove' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');

    const applied = await call(host.baseUrl, 'POST', `/api/v1/integrations/${id}/reconcile/apply`, {
      key,
      body: { confirm: true, actions: [{ item: `halopsa.webhook:${stranger}`, action: 'remove' }] },
    });
    expect(applied.status).toBe(200);
    expect(applied.json.results).toEqual([
      expect.objectContaining({ outcome: 'refused', reason: 'not_created_by_hub' }),
    ]);
    expect(halo.received('DELETE', /\/api\/Webhook\//)).toEqual([]);
    expect(halo.webhooks.has(stranger)).toBe(true);
  });

  it('a vendor with nothing the hub registers answers 422 reconcile_unsupported', async () => {
    const id = await integration('pax8', 'https://127.0.0.1:9');
    const res = await call(host.baseUrl, 'GET', `/api/v1/integrations/${id}/reconcile`, { key });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ code: 'reconcile_unsupported' });
  });
});
