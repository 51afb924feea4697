import { randomBytes } from 'node:crypto';
import { odata } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_TENANT_ID } from '../../shared/apikeys/principal';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { type CallResult, call } from '../support/http';

/**
 * The operator plane over HTTP: onboarding tenants with the operator key, tenant isolation of the
 * keys it hands out, disabling and enabling, and the wall between operator and tenant keys.
 */
let host: HostProcess;
let env: Record<string, string>;
const operatorKey = `op-${randomBytes(24).toString('hex')}`;
const account = () => storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);

interface CreatedTenant {
  id: string;
  name: string;
  status: string;
  adminKey: { id: string; key: string; scopes: string[]; createdBy: string; expiresAt: string };
}

async function createTenant(name: string): Promise<CreatedTenant> {
  const res = await call(host.baseUrl, 'POST', '/api/v1/tenants', { key: operatorKey, body: { name } });
  expect(res.status, res.text).toBe(201);
  return res.json as unknown as CreatedTenant;
}

async function auditActions(partition: string, targetId: string): Promise<string[]> {
  const actions: string[] = [];
  for await (const row of account()
    .table('audit')
    .listEntities<{ action: string; targetId: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${partition}` },
    })) {
    if (row.targetId === targetId) actions.push(row.action);
  }
  return actions.sort();
}

const hostNow = async () =>
  Date.parse((await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 0 } })).json.now as string);

beforeAll(async () => {
  env = sharedAzuriteEnv({ OPERATOR_API_KEY: operatorKey });
  host = await startHostProcess(env);
});

afterAll(async () => {
  await host?.stop();
});

describe('tenant onboarding by the platform operator', () => {
  it('creates two tenants whose admin keys each work only inside their own tenant', async () => {
    const a = await createTenant('Contoso Managed Services');
    const b = await createTenant('Fabrikam IT');
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({ name: 'Contoso Managed Services', status: 'active' });
    expect(a.adminKey).toMatchObject({ scopes: ['admin'], createdBy: 'operator' });
    expect(a.adminKey.key).toMatch(/^mhk_[0-9a-z]{26}_/);

    // Each admin key works in its own tenant…
    for (const t of [a, b]) {
      const own = await call(host.baseUrl, 'GET', `/api/v1/api-keys/${t.adminKey.id}`, { key: t.adminKey.key });
      expect(own.status).toBe(200);
      expect(own.json.key).toBeUndefined();
    }
    const made = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: a.adminKey.key,
      body: { name: 'reader', scopes: ['events:read'] },
    });
    expect(made.status).toBe(201);
    // …and sees nothing of the other, in both directions: 404 as for a key that does not exist.
    for (const [me, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const read = await call(host.baseUrl, 'GET', `/api/v1/api-keys/${other.adminKey.id}`, { key: me.adminKey.key });
      expect(read.status).toBe(404);
      expect(read.json.code).toBe('not_found');
      const revoke = await call(host.baseUrl, 'DELETE', `/api/v1/api-keys/${other.adminKey.id}`, {
        key: me.adminKey.key,
      });
      expect(revoke.status).toBe(404);
      const list = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=200', { key: me.adminKey.key });
      const ids = (list.json.items as { id: string }[]).map((k) => k.id);
      expect(ids).toContain(me.adminKey.id);
      expect(ids).not.toContain(other.adminKey.id);
    }
    const readerId = made.json.id as string;
    expect((await call(host.baseUrl, 'GET', `/api/v1/api-keys/${readerId}`, { key: b.adminKey.key })).status).toBe(404);
  });

  it('shows the admin key once, with no-store caching, and caps its life', async () => {
    const before = await hostNow();
    const res = await call(host.baseUrl, 'POST', '/api/v1/tenants', { key: operatorKey, body: { name: 'Once Only' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const created = res.json as unknown as CreatedTenant;
    expect(Date.parse(created.adminKey.expiresAt)).toBeLessThanOrEqual(before + 366 * 24 * 60 * 60 * 1000);
    const got = await call(host.baseUrl, 'GET', `/api/v1/tenants/${created.id}`, { key: operatorKey });
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(created.adminKey.key);
    expect(got.json).toMatchObject({ id: created.id, name: 'Once Only', status: 'active', disabledAt: null });
    const list = await call(host.baseUrl, 'GET', '/api/v1/tenants?limit=200', { key: operatorKey });
    expect(list.status).toBe(200);
    expect((list.json.items as { id: string }[]).map((t) => t.id)).toContain(created.id);
    expect(list.text).not.toContain(created.adminKey.key);
    expect((await call(host.baseUrl, 'GET', `/api/v1/tenants/${'0'.repeat(26)}`, { key: operatorKey })).status).toBe(
      404,
    );
  });

  it('disables a tenant (its keys get 401 tenant_disabled, nothing deleted) and enables it again', async () => {
    const a = await createTenant('To Be Disabled');
    const b = await createTenant('Bystander');
    const disabled = await call(host.baseUrl, 'POST', `/api/v1/tenants/${a.id}/disable`, { key: operatorKey });
    expect(disabled.status).toBe(200);
    expect(disabled.json.status).toBe('disabled');
    expect(disabled.json.disabledAt).toBeTruthy();
    const refused = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: a.adminKey.key });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.json.code).toBe('tenant_disabled');
    expect((await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: b.adminKey.key })).status).toBe(200);
    // Idempotent: a second disable changes nothing.
    const again = await call(host.baseUrl, 'POST', `/api/v1/tenants/${a.id}/disable`, { key: operatorKey });
    expect(again.json.disabledAt).toBe(disabled.json.disabledAt);

    const enabled = await call(host.baseUrl, 'POST', `/api/v1/tenants/${a.id}/enable`, { key: operatorKey });
    expect(enabled.status).toBe(200);
    expect(enabled.json).toMatchObject({ status: 'active', disabledAt: null });
    const back = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: a.adminKey.key });
    expect(back.status).toBe(200);
    expect((back.json.items as { id: string }[]).map((k) => k.id)).toContain(a.adminKey.id);

    // Every operator action is in the audit log: the operator's partition and the tenant's own.
    const expected = ['tenant.created', 'tenant.disabled', 'tenant.enabled'];
    expect(await auditActions(OPERATOR_TENANT_ID, a.id)).toEqual(expected);
    expect(await auditActions(a.id, a.id)).toEqual(expected);
  });

  it("sets and removes a tenant's daily inbound quota (operator only); bad values are refused and change nothing", async () => {
    const a = await createTenant('Quota Tenant');
    expect(
      (await call(host.baseUrl, 'GET', `/api/v1/tenants/${a.id}`, { key: operatorKey })).json.dailyInboundQuota,
    ).toBe(null);
    const set = await call(host.baseUrl, 'PUT', `/api/v1/tenants/${a.id}/limits`, {
      key: operatorKey,
      body: { dailyInboundQuota: 5000 },
    });
    expect(set.status, set.text).toBe(200);
    expect(set.json.dailyInboundQuota).toBe(5000);
    for (const body of [{ dailyInboundQuota: 0 }, { dailyInboundQuota: 1.5 }, { dailyInboundQuota: '10' }, {}]) {
      const bad = await call(host.baseUrl, 'PUT', `/api/v1/tenants/${a.id}/limits`, { key: operatorKey, body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
    }
    const tenantKey = await call(host.baseUrl, 'PUT', `/api/v1/tenants/${a.id}/limits`, {
      key: a.adminKey.key,
      body: { dailyInboundQuota: 1 },
    });
    expect(tenantKey.status).toBe(403);
    expect(
      (await call(host.baseUrl, 'GET', `/api/v1/tenants/${a.id}`, { key: operatorKey })).json.dailyInboundQuota,
    ).toBe(5000);
    const removed = await call(host.baseUrl, 'PUT', `/api/v1/tenants/${a.id}/limits`, {
      key: operatorKey,
      body: { dailyInboundQuota: null },
    });
    expect(removed.json.dailyInboundQuota).toBe(null);
    const missing = await call(host.baseUrl, 'PUT', `/api/v1/tenants/${'0'.repeat(26)}/limits`, {
      key: operatorKey,
      body: { dailyInboundQuota: 1 },
    });
    expect(missing.status).toBe(404);
    expect(await auditActions(a.id, a.id)).toEqual([
      'tenant.created',
      'tenant.limits_changed',
      'tenant.limits_changed',
    ]);
  });

  it('rejects display names with control or bidi-override characters and changes nothing', async () => {
    const before = await call(host.baseUrl, 'GET', '/api/v1/tenants?limit=200', { key: operatorKey });
    for (const name of ['Evil\u202Egnp.exe', 'line\nbreak', 'x'.repeat(101), '   ']) {
      const res = await call(host.baseUrl, 'POST', '/api/v1/tenants', { key: operatorKey, body: { name } });
      expect({ name, status: res.status, code: res.json.code }).toEqual({
        name,
        status: 400,
        code: 'validation_failed',
      });
    }
    const after = await call(host.baseUrl, 'GET', '/api/v1/tenants?limit=200', { key: operatorKey });
    expect((after.json.items as unknown[]).length).toBe((before.json.items as unknown[]).length);
  });
});

describe('operator and tenant keys never cross planes', () => {
  it('answers 403 to a tenant key on /api/v1/tenants, even an admin or the bootstrap key', async () => {
    const t = await createTenant('Curious Tenant');
    const cases: [string, string, string][] = [
      ['GET', '/api/v1/tenants', t.adminKey.key],
      ['POST', '/api/v1/tenants', t.adminKey.key],
      ['GET', `/api/v1/tenants/${t.id}`, t.adminKey.key],
      ['POST', `/api/v1/tenants/${t.id}/disable`, t.adminKey.key],
      ['GET', '/api/v1/tenants', env.BOOTSTRAP_API_KEY!],
    ];
    for (const [method, path, key] of cases) {
      const res: CallResult = await call(host.baseUrl, method, path, {
        key,
        ...(method === 'POST' && path === '/api/v1/tenants' ? { body: { name: 'sneaky' } } : {}),
      });
      expect({ method, path, status: res.status, code: res.json.code }).toEqual({
        method,
        path,
        status: 403,
        code: 'insufficient_scope',
      });
    }
    expect((await call(host.baseUrl, 'GET', `/api/v1/tenants/${t.id}`, { key: operatorKey })).json.status).toBe(
      'active',
    );
  });

  it('answers 403 to the operator key on tenant routes: it reads no tenant data', async () => {
    const t = await createTenant('Private Tenant');
    for (const [method, path] of [
      ['GET', '/api/v1/api-keys'],
      ['GET', `/api/v1/api-keys/${t.adminKey.id}`],
      ['DELETE', `/api/v1/api-keys/${t.adminKey.id}`],
    ] as const) {
      const res = await call(host.baseUrl, method, path, { key: operatorKey });
      expect({ method, path, status: res.status, code: res.json.code }).toEqual({
        method,
        path,
        status: 403,
        code: 'insufficient_scope',
      });
    }
    const create = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: operatorKey,
      body: { name: 'backdoor', scopes: ['admin'] },
    });
    expect(create.status).toBe(403);
    // The tenant's admin key was not touched.
    expect((await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: t.adminKey.key })).status).toBe(200);
  });

  it('refuses a wrong operator key with 401 and a tenant key cannot be granted the operator scope', async () => {
    const wrong = await call(host.baseUrl, 'GET', '/api/v1/tenants', { key: `${operatorKey}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.json.code).toBe('api_key_invalid');
    const t = await createTenant('Ambitious Tenant');
    const escalate = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: t.adminKey.key,
      body: { name: 'operator please', scopes: ['operator'] },
    });
    expect(escalate.status).toBe(400);
    expect(escalate.json.code).toBe('validation_failed');
  });
});
