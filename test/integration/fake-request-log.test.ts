import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeVendorServer } from '../fakes/core/fake-server';
import { MASK } from '../fakes/core/request-log';

const fake = new FakeVendorServer('log');
fake.route('GET', '/zones/:id', (req) => ({ json: { id: req.params.id } }));
fake.route('POST', '/tickets/:id/notes', () => ({ status: 201, json: { itemId: 1 } }));
fake.route('POST', '/token', () => ({ json: { access_token: 'issued' } }));
let base = '';

beforeAll(async () => {
  base = await fake.start();
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

interface Logged {
  method: string;
  path: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: string;
  json: unknown;
}

async function log(query = ''): Promise<{ status: number; requests: Logged[]; error?: string }> {
  const response = await fetch(`${base}/__fake/requests${query}`);
  const body = (await response.json()) as { requests?: Logged[]; error?: string };
  return { status: response.status, requests: body.requests ?? [], ...(body.error ? { error: body.error } : {}) };
}

describe('the fake request log over HTTP', () => {
  it('filters by path prefix, method and last N, oldest first', async () => {
    for (const zone of ['a', 'b', 'c']) await fetch(`${base}/zones/${zone}`);
    await fetch(`${base}/tickets/4711/notes`, { method: 'POST', body: '{"description":"first"}' });
    await fetch(`${base}/tickets/4711/notes`, { method: 'POST', body: '{"description":"second"}' });

    expect((await log()).requests).toHaveLength(5);
    expect((await log('?path=/zones')).requests.map((r) => r.path)).toEqual(['/zones/a', '/zones/b', '/zones/c']);
    expect((await log('?path=/TICKETS&method=post')).requests).toHaveLength(2);
    const newest = await log('?path=/tickets&last=1');
    expect(newest.requests.map((r) => r.json)).toEqual([{ description: 'second' }]);
    expect((await log('?last=2')).requests.map((r) => r.path)).toEqual(['/tickets/4711/notes', '/tickets/4711/notes']);
  });

  it('refuses an unknown or malformed filter with 400 and the allowed names', async () => {
    expect(await log('?last=0')).toMatchObject({ status: 400, error: expect.stringContaining('last') });
    expect(await log('?lastt=1')).toMatchObject({ status: 400, error: expect.stringContaining('path, method, last') });
  });

  it('never shows the credentials it was sent: headers, query, JSON and form bodies are masked', async () => {
    await fetch(`${base}/zones/a?api_key=query-secret-1&page=2`, {
      headers: {
        Authorization: 'Bearer bearer-secret-2',
        Secret: 'autotask-secret-3',
        ApiIntegrationCode: 'CODE4',
        UserName: 'hub-api@fake.example',
        'x-api-key': 'itglue-secret-5',
      },
    });
    await fetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=hub&client_secret=form-secret-6',
    });
    await fetch(`${base}/tickets/1/notes`, {
      method: 'POST',
      body: JSON.stringify({ description: 'kept', auth: { password: 'json-secret-7', user: 'u' } }),
    });

    const text = JSON.stringify(await log());
    for (const secret of ['query-secret-1', 'bearer-secret-2', 'autotask-secret-3', 'CODE4', 'itglue-secret-5']) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain('form-secret-6');
    expect(text).not.toContain('json-secret-7');
    const [zones, token, note] = (await log()).requests;
    expect(zones?.headers).toMatchObject({ authorization: MASK, secret: MASK, username: 'hub-api@fake.example' });
    expect(zones?.query).toEqual({ api_key: MASK, page: '2' });
    expect(token?.body).toContain('client_id=hub');
    expect(note?.json).toEqual({ description: 'kept', auth: { password: MASK, user: 'u' } });
    // What in-process tests assert on stays exactly what was sent.
    expect(fake.requests[0]?.headers.secret).toBe('autotask-secret-3');
  });
});
