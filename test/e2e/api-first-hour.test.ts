import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { type CallResult, call } from '../support/http';

/**
 * The first hour (docs/decisions.md §52): errors that point the way and the wait parameters, over
 * HTTP on the local host. A 404 names the nearest routes and the reference page, a typo of a
 * literal route is not "not an id", a missing `Bearer ` is named, a lower-cased integration id
 * works, `?wait=` / `?waitFor=` answer with the settled result and refuse waits over 20 s.
 */
let host: HostProcess;
let fakes: RunningFakes;
let key: string;
let integrationId: string;
const operatorKey = `operator-${'x'.repeat(40)}-first-hour`;

const api = (method: string, path: string, body?: unknown): Promise<CallResult> =>
  call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

beforeAll(async () => {
  fakes = await startAllFakes();
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', OPERATOR_API_KEY: operatorKey });
  key = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
  const created = await api('POST', '/api/v1/integrations', {
    vendor: 'autotask',
    name: 'first hour',
    credentials: FAKE_CREDENTIALS.autotask,
    config: fakeConfig('autotask', fakes.baseUrls.autotask),
  });
  expect(created.status, created.text).toBe(201);
  integrationId = String(created.json.id);
});

afterAll(async () => {
  await host?.stop();
  await fakes?.stop();
});

describe('errors that point the way', () => {
  it('a 404 for an unknown route names the nearest routes and the reference page', async () => {
    const res = await api('GET', '/api/v1/integraions');
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('route_not_found');
    expect(res.json.nearestRoutes).toContainEqual({ method: 'GET', path: '/api/v1/integrations' });
    expect(res.json.reference).toBe('/api/v1/docs');
    expect(String(res.json.detail)).toContain('Nearest: GET /api/v1/integrations');
    // Nothing near: no suggestions, the reference page still named.
    const far = await api('GET', '/api/zzzzzzzzzzzzzzzzzzzzzz/qqqqqqqqqqqqqqqq');
    expect(far.json).toMatchObject({ code: 'route_not_found', nearestRoutes: [], reference: '/api/v1/docs' });
  });

  it('/integrations/statuss is a mistyped route, not "not an integration id"', async () => {
    const res = await api('GET', '/api/v1/integrations/statuss');
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('route_not_found');
    expect(res.json.nearestRoutes).toEqual([{ method: 'GET', path: '/api/v1/integrations/status' }]);
    // Something that is no route name stays a 400 about the id, saying what an id looks like.
    const bad = await api('GET', '/api/v1/integrations/not-an-id-at-all');
    expect(bad.status).toBe(400);
    expect(String(bad.json.detail)).toContain('26 letters and digits');
  });

  it('a key sent without "Bearer " is told what the header must look like', async () => {
    const res = await call(host.baseUrl, 'GET', '/api/v1/integrations', { headers: { authorization: key } });
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('api_key_invalid');
    expect(String(res.json.detail)).toContain('"Bearer <key>"');
    expect(res.text).not.toContain(key);
  });

  it('an integration id works in either case', async () => {
    const lower = await api('GET', `/api/v1/integrations/${integrationId.toLowerCase()}`);
    expect(lower.status, lower.text).toBe(200);
    expect(lower.json.id).toBe(integrationId);
  });

  it('the failures list takes limit like every list and has no second page', async () => {
    const res = await api('GET', '/api/v1/failures?limit=1');
    expect(res.status, res.text).toBe(200);
    expect(res.json.nextCursor).toBeNull();
    expect((res.json.groups as unknown[]).length).toBeLessThanOrEqual(1);
    expect((await api('GET', '/api/v1/failures?limit=0')).status).toBe(400);
  });

  it('a refused Autotask signature is grouped with a fix that says what the key is', async () => {
    const hook = await api('POST', '/api/v1/webhooks', { integrationId });
    expect(hook.status, hook.text).toBe(201);
    const body = '{"Action":"Create","Guid":"5f0c9a51-0000-4c1b-9a3e-0d1f2a3b4c5d","EntityType":"Ticket","Id":1}';
    const wrong = createHmac('sha1', String(hook.json.secret).slice('whsec_'.length)).update(body).digest('base64');
    const refused = await call(host.baseUrl, 'POST', `/api/hooks/${String(hook.json.id)}`, {
      rawBody: body,
      headers: { 'content-type': 'application/json', 'x-hook-signature': `sha1=${wrong}` },
    });
    expect(refused.json.code).toBe('signature_invalid');
    const failures = await api('GET', '/api/v1/failures?errorType=signature_invalid');
    const group = (failures.json.groups as { examples: { suggestedFix: string; webhookId: string }[] }[])[0];
    const example = group?.examples.find((e) => e.webhookId === hook.json.id);
    expect(example?.suggestedFix).toContain('keyed with the whole secret string, whsec_ included');
  });
});

describe('waiting for a result (bounded)', () => {
  it('recheck?wait answers with the verdict; without wait it only queues', async () => {
    const queued = await api('POST', `/api/v1/integrations/${integrationId}/recheck`);
    expect(queued.status).toBe(202);
    expect(queued.json.settled).toBeUndefined();
    const waited = await api('POST', `/api/v1/integrations/${integrationId}/recheck?wait=20`);
    expect(waited.status, waited.text).toBe(200);
    expect(waited.json).toMatchObject({ integrationId, settled: true, status: { state: 'connected' } });

    fakes.servers.autotask.injectFault({ kind: 'status', status: 401 });
    try {
      const failing = await api('POST', `/api/v1/integrations/${integrationId}/recheck?wait=20`);
      expect(failing.status).toBe(200);
      expect(failing.json).toMatchObject({ settled: true, status: { state: 'needs_attention' } });
    } finally {
      fakes.servers.autotask.clearFaults();
    }
  });

  it('refuses a wait over 20 seconds or a wait that is not a number, and changes nothing', async () => {
    for (const query of ['wait=21', 'wait=-1', 'wait=soon']) {
      const res = await api('POST', `/api/v1/integrations/${integrationId}/recheck?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.json.code).toBe('validation_failed');
    }
    const event = await api('GET', '/api/v1/events/7ybprtenrcx5361bq11ngehwb5?waitFor=terminal&timeout=21');
    expect(event.status).toBe(400);
    expect((await api('GET', '/api/v1/events/x?waitFor=forever')).status).toBe(400);
  });

  it('events/{id}?waitFor=terminal answers once the pipeline is done; an unknown event is 404 at once', async () => {
    const hook = await api('POST', '/api/v1/webhooks', {});
    const secret = String(hook.json.secret);
    const body = JSON.stringify({ type: 'alert.triggered', subject: 'first hour wait', entities: { id: 'w1' } });
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    const received = await call(host.baseUrl, 'POST', `/api/hooks/${String(hook.json.id)}`, {
      rawBody: body,
      headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${hex}` },
    });
    expect(received.status, received.text).toBe(202);
    const eventId = String(received.json.eventId);
    const done = await api('GET', `/api/v1/events/${eventId}?waitFor=terminal&timeout=20`);
    expect(done.status).toBe(200);
    // No SOP matches this event: the pipeline fails it with an analysis — terminal either way.
    expect(['succeeded', 'failed']).toContain(done.json.status);
    const unknown = await api('GET', '/api/v1/events/01J00000000000000000000000?waitFor=terminal&timeout=20');
    expect(unknown.status).toBe(404);
  });
});

type AuditItem = { id: string; action: string; actor: string; targetId: string; at: string };

describe('the audit log is readable', () => {
  it("an admin reads the tenant's entries newest first, filtered by action, actor and time, paged", async () => {
    const created: string[] = [];
    for (const name of ['audit one', 'audit two']) {
      const res = await api('POST', '/api/v1/api-keys', { name, scopes: ['events:read'] });
      expect(res.status).toBe(201);
      created.push(String(res.json.id));
    }
    const all = await api('GET', '/api/v1/audit?action=apikey.created');
    expect(all.status, all.text).toBe(200);
    const items = all.json.items as AuditItem[];
    expect(items.slice(0, 2).map((i) => i.targetId)).toEqual([...created].reverse());
    expect(items.every((i) => i.action === 'apikey.created' && i.actor === 'bootstrap')).toBe(true);
    expect(all.text).not.toMatch(/mhk_[A-Za-z0-9]+_[A-Za-z0-9_-]{20,}/); // never a key

    const page1 = await api('GET', '/api/v1/audit?action=apikey.created&limit=1');
    expect((page1.json.items as AuditItem[]).map((i) => i.targetId)).toEqual([created[1]]);
    const page2 = await api(
      'GET',
      `/api/v1/audit?action=apikey.created&limit=1&cursor=${encodeURIComponent(String(page1.json.nextCursor))}`,
    );
    expect((page2.json.items as AuditItem[]).map((i) => i.targetId)).toEqual([created[0]]);

    expect(((await api('GET', '/api/v1/audit?actor=someone-else')).json.items as unknown[]).length).toBe(0);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const later = await api('GET', `/api/v1/audit?from=${encodeURIComponent(future)}`);
    expect((later.json.items as unknown[]).length).toBe(0);
    const at = (items[0] as AuditItem).at;
    const exactly = await api('GET', `/api/v1/audit?from=${encodeURIComponent(at)}&to=${encodeURIComponent(at)}`);
    expect((exactly.json.items as AuditItem[]).map((i) => i.id)).toContain((items[0] as AuditItem).id);
    const reversed = await api('GET', `/api/v1/audit?from=${encodeURIComponent(future)}&to=${encodeURIComponent(at)}`);
    expect(reversed.status).toBe(400);
    expect((await api('GET', '/api/v1/audit?action=DROP TABLE')).status).toBe(400);
  });

  it('needs the admin scope; the operator reads only its own actions', async () => {
    const reader = await api('POST', '/api/v1/api-keys', { name: 'reader', scopes: ['events:read'] });
    const refused = await call(host.baseUrl, 'GET', '/api/v1/audit', { key: String(reader.json.key) });
    expect(refused.status).toBe(403);
    // The operator key reaches no tenant's data, not even its audit log.
    expect((await call(host.baseUrl, 'GET', '/api/v1/audit', { key: operatorKey })).status).toBe(403);

    const tenant = await call(host.baseUrl, 'POST', '/api/v1/tenants', {
      key: operatorKey,
      body: { name: 'Audit Reader MSP' },
    });
    expect(tenant.status, tenant.text).toBe(201);
    const own = await call(host.baseUrl, 'GET', '/api/v1/tenants/audit?action=tenant.created&limit=200', {
      key: operatorKey,
    });
    expect(own.status, own.text).toBe(200);
    expect((own.json.items as AuditItem[]).some((i) => i.targetId === tenant.json.id)).toBe(true);
    expect((own.json.items as AuditItem[]).some((i) => i.action === 'apikey.created')).toBe(false);
    expect((await api('GET', '/api/v1/tenants/audit')).status).toBe(403);
  });
});
