import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VENDOR_IDS } from '../../shared/vendors/contract';
import { connectors } from '../../shared/vendors/registry';
import { FAKE_CREDENTIALS, fakeConfig, startAllFakes } from '../fakes/core/all-fakes';
import { FakeVendorServer } from '../fakes/core/fake-server';

const fake = new FakeVendorServer('demo', { errorBody: (status, message) => ({ oops: { status, message } }) });
fake.route('GET', '/items/:id', (req) => ({ json: { id: req.params.id, q: req.query } }));
fake.route('POST', '/items', (req) => ({ status: 201, json: { got: req.json } }));
let base = '';

beforeAll(async () => {
  base = await fake.start();
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('fake vendor server', () => {
  it('routes with named segments, records method, path, query, lower-case headers and body', async () => {
    expect(await call('/items/42?x=1', { headers: { 'X-Custom': 'v' } })).toMatchObject({
      status: 200,
      json: { id: '42', q: { x: '1' } },
    });
    expect(
      await call('/items', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } }),
    ).toMatchObject({
      status: 201,
      json: { got: { a: 1 } },
    });
    expect(fake.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', '/items/42'],
      ['POST', '/items'],
    ]);
    expect(fake.requests[0]?.headers['x-custom']).toBe('v');
    expect(fake.requests[1]?.body).toBe('{"a":1}');
    expect(fake.count('GET', '/items/:id')).toBe(1);
  });

  it('answers unknown routes 404 and wrong methods 405 in the vendor error shape', async () => {
    expect(await call('/nope')).toMatchObject({ status: 404, json: { oops: { status: 404 } } });
    expect(await call('/items/1', { method: 'DELETE' })).toMatchObject({ status: 405 });
  });

  it('status faults use the vendor error body, honour path and times, and 429 carries Retry-After', async () => {
    fake.injectFault({ kind: 'status', status: 429 }, { path: '/items/1', times: 2 });
    const first = await call('/items/1');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('30');
    expect(first.json).toEqual({ oops: { status: 429, message: 'Too Many Requests' } });
    expect((await call('/items/2')).status).toBe(200);
    expect((await call('/items/1')).status).toBe(429);
    expect((await call('/items/1')).status).toBe(200);
    expect(fake.count('GET', '/items/1')).toBe(3);
  });

  it('the control API flips faults in a running fake and lists what it received', async () => {
    const added = await call('/__fake/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'status', status: 503, path: '/items' }),
    });
    expect(added.status).toBe(201);
    expect((await call('/items/7')).status).toBe(503);
    expect((await call('/__fake/faults', { method: 'DELETE' })).status).toBe(204);
    expect((await call('/items/7')).status).toBe(200);
    const listed = await call('/__fake/requests');
    expect((listed.json as { requests: { path: string }[] }).requests.map((r) => r.path)).toEqual([
      '/items/7',
      '/items/7',
    ]);
    const refused = await call('/__fake/faults', { method: 'POST', body: JSON.stringify({ kind: 'melt' }) });
    expect(refused.status).toBe(400);
  });

  it('a reset fault drops the connection', async () => {
    fake.injectFault({ kind: 'reset' }, { times: 1 });
    await expect(fetch(`${base}/items/1`)).rejects.toThrow();
    expect((await call('/items/1')).status).toBe(200);
  });
});

describe('all fakes', () => {
  it('start on loopback, one per vendor, and each accepts its documented credentials', async () => {
    const running = await startAllFakes();
    try {
      expect(Object.keys(running.baseUrls).sort()).toEqual([...VENDOR_IDS].sort());
      for (const id of VENDOR_IDS) {
        expect(running.baseUrls[id]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        // Credentials and config parse with the vendor's own schemas.
        expect(connectors[id].credentialsSchema.safeParse(FAKE_CREDENTIALS[id]).success, id).toBe(true);
        expect(connectors[id].configSchema.safeParse(fakeConfig(id, running.baseUrls[id])).success, id).toBe(true);
      }
    } finally {
      await running.stop();
    }
  });
});
