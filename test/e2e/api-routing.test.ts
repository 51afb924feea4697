import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call } from '../support/http';

/**
 * The app's own routing as Azure's host serves it (docs/decisions.md §44), on the local host that
 * now routes like it: literal routes that sort first, the catch-all's documented 404/405, and a
 * chunked webhook that arrives whole because the app enables HTTP streaming.
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

const api = (method: string, path: string, body?: unknown) =>
  call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

/** A POST whose body goes out in chunks with no Content-Length, as a streaming sender does. */
function chunkedPost(
  path: string,
  headers: Record<string, string>,
  parts: string[],
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${host.baseUrl}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    expect(req.getHeader('content-length')).toBeUndefined();
    for (const part of parts) req.write(part);
    req.end();
  });
}

describe('routes as the host orders them', () => {
  it('GET /api/v1/integrations/status reaches the status list, not the integration by id', async () => {
    const status = await api('GET', '/api/v1/integrations/status');
    expect(status.status).toBe(200);
    expect(Array.isArray(status.json.items)).toBe(true);
  });
});

describe('the catch-all function', () => {
  it('answers an unknown route with problem+json 404 route_not_found', async () => {
    const missing = await api('GET', '/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(missing.json.code).toBe('route_not_found');
    expect(missing.headers.get('x-correlation-id')).toBeTruthy();
    expect(missing.headers.get('cache-control')).toBe('no-store');
  });

  it('answers a wrong method with 405 method_not_allowed and Allow, hooks and healthz included', async () => {
    const wrong = await api('PUT', '/api/v1/api-keys');
    expect([wrong.status, wrong.json.code]).toEqual([405, 'method_not_allowed']);
    expect(wrong.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'POST']);
    const hook = await call(host.baseUrl, 'GET', '/api/hooks/wh_anything');
    expect([hook.status, hook.json.code, hook.headers.get('allow')]).toEqual([405, 'method_not_allowed', 'POST']);
    const health = await call(host.baseUrl, 'DELETE', '/api/healthz');
    expect([health.status, health.headers.get('allow')]).toEqual([405, 'GET']);
    expect((await call(host.baseUrl, 'GET', '/api/healthz')).status).toBe(200);
  });

  it('leaves what is not under /api to the host', async () => {
    const outside = await call(host.baseUrl, 'GET', '/nothing-here');
    expect([outside.status, outside.text]).toEqual([404, '']);
  });
});

describe('bodies without Content-Length', () => {
  it('a chunked, correctly signed webhook is accepted: HTTP streaming forwards it whole', async () => {
    const hook = (await api('POST', '/api/v1/webhooks', { name: 'chunked sender' })).json;
    const body = JSON.stringify({ type: 'alert.triggered', subject: 'chunked', at: new Date().toISOString() });
    const hex = createHmac('sha256', String(hook.secret)).update(body).digest('hex');
    const half = Math.floor(body.length / 2);
    const answer = await chunkedPost(
      `/api/hooks/${String(hook.id)}`,
      { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${hex}` },
      [body.slice(0, half), body.slice(half)],
    );
    expect(answer.json.code).toBeUndefined();
    expect(answer.status).toBe(202);
  });
});
