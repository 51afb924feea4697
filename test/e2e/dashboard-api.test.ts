import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call } from '../support/http';

/**
 * The dashboard and error catalog routes on the local host (docs/dashboard.md): shapes, defaults,
 * fallbacks and problem+json for bad input. The numbers themselves are checked against a
 * brute-force count in test/integration/dashboard-counts.test.ts.
 */
let host: HostProcess;
let key: string;

beforeAll(async () => {
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual' });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
}, 90_000);

afterAll(async () => {
  await host?.stop();
});

const get = (path: string, withKey = true) => call(host.baseUrl, 'GET', path, withKey ? { key } : {});

describe('GET /api/v1/dashboard', () => {
  it('answers every type for the default 30 days, and refuses a bad period or type with problem+json', async () => {
    const res = await get('/api/v1/dashboard');
    expect(res.status).toBe(200);
    expect(res.json.days).toBe(30);
    expect((res.json.byType as Array<{ type: string }>).map((t) => t.type)).toEqual([
      'inbound_webhook',
      'outbound_webhook',
      'prebuilt_integration',
      'custom_node',
      'custom_event',
    ]);
    expect(res.json.trends).toHaveLength(30 * 5);
    // A new tenant: nothing held or throttled, one point per day.
    expect(res.json.controls).toEqual({ held: 0, throttled: 0, inboundHeld: 0 });
    expect(res.json.controlTrends).toHaveLength(30);
    const filtered = await get('/api/v1/dashboard?days=2&types=custom_event');
    expect(filtered.json.trends).toHaveLength(2);
    for (const bad of ['days=0', 'days=91', 'days=x', 'types=nope', 'other=1']) {
      const refused = await get(`/api/v1/dashboard?${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(refused.headers.get('content-type'), bad).toContain('application/problem+json');
    }
    expect((await get('/api/v1/dashboard', false)).status).toBe(401);
  });

  it('answers an unknown failure id with 404 not_found', async () => {
    const res = await get('/api/v1/dashboard/failures/bm9uZQ');
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('not_found');
  });
});

describe('GET /api/v1/error-catalog', () => {
  it('lists the catalog and answers a code, or its class for an unlisted one', async () => {
    const list = await get('/api/v1/error-catalog');
    expect(list.status).toBe(200);
    expect((list.json.items as unknown[]).length).toBeGreaterThan(80);
    const notFound = await get('/api/v1/error-catalog/404');
    expect(notFound.json).toMatchObject({ code: '404', title: 'Not Found', fallback: false });
    const teapot = await get('/api/v1/error-catalog/418');
    expect(teapot.json).toMatchObject({ code: '4xx', requested: '418', fallback: true });
    expect((await get('/api/v1/error-catalog/882')).json).toMatchObject({ title: 'Tenant rate exceeded' });
    expect((await get('/api/v1/error-catalog/bad%20code')).status).toBe(400);
  });
});
