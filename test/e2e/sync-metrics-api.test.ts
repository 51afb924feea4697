import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call } from '../support/http';

/**
 * GET /api/v1/sync/metrics on the local host (docs/sync-metrics.md): shape, default period and
 * problem+json for bad input. The numbers are checked against a brute-force count in
 * test/integration/sync-metrics.test.ts.
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

describe('GET /api/v1/sync/metrics', () => {
  it('answers the default seven days, and refuses a bad period with problem+json and changes nothing', async () => {
    const res = await get('/api/v1/sync/metrics');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      days: 7,
      runs: { total: expect.any(Number) },
      webhookDelivery: { succeeded: expect.any(Number), failed: expect.any(Number) },
      routingAccuracy: { days: 7 },
    });
    expect((await get('/api/v1/sync/metrics?days=90')).json.days).toBe(90);
    for (const bad of ['days=0', 'days=91', 'days=1.5', 'days=x', 'other=1']) {
      const refused = await get(`/api/v1/sync/metrics?${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(refused.headers.get('content-type'), bad).toContain('application/problem+json');
      expect(refused.json.code, bad).toBe(bad === 'other=1' ? 'unknown_field' : 'validation_failed');
    }
    expect((await get('/api/v1/sync/metrics', false)).status).toBe(401);
    expect((await get('/api/v1/sync/metrics')).json.runs).toEqual(res.json.runs);
  });
});
