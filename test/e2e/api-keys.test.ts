import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { odata } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../shared/apikeys/api-keys';
import type { Scope } from '../../shared/apikeys/scopes';
import { apiKeyTables } from '../../shared/apikeys/tables';
import { auditTable } from '../../shared/audit/audit-log';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { type HostProcess, sharedAzuriteEnv, startHostProcess, uniqueName } from '../support/host-process';
import { call } from '../support/http';

const RATE_LIMIT = 20;
const PUBLIC_BASE_URL = 'https://hub.example.test';
let host: HostProcess;
let env: Record<string, string>;
const account = () => storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);

/** Arrange: mint a key straight through the store (what an admin would have done earlier). */
const issuedKeys: string[] = [];
/** The secret part of `mhk_<26-char id>_<secret>` (the secret itself may contain underscores). */
const secretOf = (key: string) => key.slice('mhk_'.length + 26 + 1);

async function mintKey(tenantId: string, scopes: Scope[], expiresAt?: string): Promise<{ id: string; key: string }> {
  const created = await createApiKey(
    { tables: apiKeyTables(account()), audit: auditTable(account()) },
    { tenantId, keyId: 'test-arrange', scopes: ['admin'] },
    { name: 'test key', scopes, expiresAt },
    'test',
  );
  issuedKeys.push(created.key);
  return { id: created.id, key: created.key };
}

beforeAll(async () => {
  // LOG_LEVEL info: every request is logged, so the log-scan test below has something to scan.
  env = sharedAzuriteEnv({ API_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT), LOG_LEVEL: 'info', PUBLIC_BASE_URL });
  host = await startHostProcess(env);
});

afterAll(async () => {
  await host?.stop();
});

describe('API keys over HTTP', () => {
  it('refuses a request without a key with 401 api_key_missing as problem+json', async () => {
    const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.json).toMatchObject({ status: 401, code: 'api_key_missing' });
    expect(res.headers.get('x-correlation-id')).toBeTruthy();
  });

  it('refuses a malformed or unknown key with 401 api_key_invalid', async () => {
    const garbage = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: 'not-a-key' });
    expect(garbage.status).toBe(401);
    expect(garbage.json.code).toBe('api_key_invalid');
    const real = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['apikeys:write']);
    const forged = `${real.key.slice(0, -4)}AAAA`;
    const wrong = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: forged });
    expect(wrong.status).toBe(401);
    expect(wrong.json.code).toBe('api_key_invalid');
    const viaHeader = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { headers: { 'x-api-key': real.key } });
    expect(viaHeader.status).toBe(200);
  });

  it('answers 403 insufficient_scope to a valid key without the scope', async () => {
    const reader = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['events:read']);
    const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: reader.key });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'insufficient_scope', requiredScope: 'apikeys:write' });
  });

  it('creates a key that works, shows it once and lists it newest first without the secret', async () => {
    const admin = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['admin']);
    const first = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: admin.key,
      body: { name: 'first', scopes: ['events:read'] },
    });
    expect(first.status).toBe(201);
    expect(first.json.key).toMatch(/^mhk_[0-9a-z]{26}_/);
    const second = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: admin.key,
      body: { name: 'second', scopes: ['apikeys:write'] },
    });
    expect(second.status).toBe(201);
    const list = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=200', { key: admin.key });
    expect(list.status).toBe(200);
    const items = list.json.items as { id: string; name: string }[];
    const ids = items.map((i) => i.id);
    expect(ids.indexOf(second.json.id as string)).toBeLessThan(ids.indexOf(first.json.id as string));
    expect(list.text).not.toContain(first.json.key as string);
    expect(list.text).not.toContain('hash');
    // Paging: one key per page, the cursor leads to the next one, a tampered cursor is refused.
    const page1 = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=1', { key: admin.key });
    expect((page1.json.items as { id: string }[])[0]?.id).toBe(second.json.id);
    const cursor = page1.json.nextCursor as string;
    expect(cursor).toBeTruthy();
    const page2 = await call(host.baseUrl, 'GET', `/api/v1/api-keys?limit=1&cursor=${encodeURIComponent(cursor)}`, {
      key: admin.key,
    });
    expect((page2.json.items as { id: string }[])[0]?.id).toBe(first.json.id);
    const tampered = await call(
      host.baseUrl,
      'GET',
      `/api/v1/api-keys?limit=1&cursor=${encodeURIComponent(`x${cursor.slice(1)}`)}`,
      {
        key: admin.key,
      },
    );
    expect(tampered.status).toBe(400);
    expect(tampered.json.code).toBe('invalid_cursor');
    const got = await call(host.baseUrl, 'GET', `/api/v1/api-keys/${first.json.id as string}`, { key: admin.key });
    expect(got.status).toBe(200);
    expect(got.json.key).toBeUndefined();
    expect(got.json.scopes).toEqual(['events:read']);
    // The new key authenticates, scoped as created.
    const useSecond = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: second.json.key as string });
    expect(useSecond.status).toBe(200);
  });

  it('will not let a key grant scopes it does not hold', async () => {
    const limited = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['apikeys:write']);
    const res = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: limited.key,
      body: { name: 'escalate', scopes: ['admin'] },
    });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('scope_escalation');
  });

  it("answers 404 for another tenant's key, exactly as for a key that does not exist", async () => {
    const mine = await mintKey(uniqueName('tenant-a-'), ['admin']);
    const theirs = await mintKey(uniqueName('tenant-b-'), ['admin']);
    const res = await call(host.baseUrl, 'GET', `/api/v1/api-keys/${theirs.id}`, { key: mine.key });
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('not_found');
    const revoke = await call(host.baseUrl, 'DELETE', `/api/v1/api-keys/${theirs.id}`, { key: mine.key });
    expect(revoke.status).toBe(404);
    // The other tenant's key still works: nothing changed.
    const still = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: theirs.key });
    expect(still.status).toBe(200);
  });

  it('refuses a revoked key at once with 401 api_key_revoked', async () => {
    const admin = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['admin']);
    const victim = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['apikeys:write']);
    expect((await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: victim.key })).status).toBe(200);
    const revoked = await call(host.baseUrl, 'DELETE', `/api/v1/api-keys/${victim.id}`, { key: admin.key });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).toBeTruthy();
    const again = await call(host.baseUrl, 'DELETE', `/api/v1/api-keys/${victim.id}`, { key: admin.key });
    expect(again.status).toBe(200);
    expect(again.json.revokedAt).toBe(revoked.json.revokedAt);
    const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: victim.key });
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('api_key_revoked');
  });

  it('revoking a key revokes the keys it created, and theirs; its siblings keep working', async () => {
    const tenant = uniqueName('tenant-cascade-');
    const root = await mintKey(tenant, ['admin']);
    const create = async (creator: string, name: string, scopes: string[]) => {
      const res = await call(host.baseUrl, 'POST', '/api/v1/api-keys', { key: creator, body: { name, scopes } });
      expect(res.status).toBe(201);
      return { id: String(res.json.id), key: String(res.json.key) };
    };
    const parent = await create(root.key, 'parent', ['apikeys:write', 'events:read']);
    const child = await create(parent.key, 'child', ['apikeys:write', 'events:read']);
    const grandchild = await create(child.key, 'grandchild', ['events:read']);
    const sibling = await create(root.key, 'sibling', ['apikeys:write']);
    const revoked = await call(host.baseUrl, 'DELETE', `/api/v1/api-keys/${parent.id}`, { key: root.key });
    expect(revoked.status).toBe(200);
    for (const k of [parent, child, grandchild]) {
      const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: k.key });
      expect(res.status).toBe(401);
      expect(res.json.code).toBe('api_key_revoked');
    }
    expect((await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: sibling.key })).status).toBe(200);
    const listed = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=10', { key: root.key });
    const byId = new Map((listed.json.items as { id: string; revokedAt: string | null }[]).map((k) => [k.id, k]));
    for (const k of [parent, child, grandchild]) expect(byId.get(k.id)?.revokedAt).toBeTruthy();
    expect(byId.get(sibling.id)?.revokedAt).toBeNull();
  });

  it('refuses an expired key with 401 api_key_expired once the clock passes its expiry', async () => {
    const expiresAt = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    const key = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['apikeys:write'], expiresAt);
    expect((await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: key.key })).status).toBe(200);
    const moved = await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 2 * 60 * 60 * 1000 } });
    expect(moved.status).toBe(200);
    const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: key.key });
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('api_key_expired');
  });

  it('rate limits per key with X-RateLimit-* headers, then 429 with Retry-After', async () => {
    const key = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['apikeys:write']);
    const other = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['apikeys:write']);
    const first = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=1', { key: key.key });
    expect(first.headers.get('x-ratelimit-limit')).toBe(String(RATE_LIMIT));
    expect(Number(first.headers.get('x-ratelimit-remaining'))).toBeLessThan(RATE_LIMIT);
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    // A window boundary may fall inside the loop, so allow up to two windows' worth of requests.
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 2 * RATE_LIMIT + 1 && !limited; i++) {
      const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=1', { key: key.key });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(200);
    }
    expect(limited).toBeDefined();
    expect(limited!.json.code).toBe('rate_limited');
    const retryAfter = Number(limited!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited!.json.retry_after_seconds).toBe(retryAfter);
    expect(limited!.headers.get('x-ratelimit-remaining')).toBe('0');
    // Another key of the same tenant is not affected.
    expect((await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=1', { key: other.key })).status).toBe(200);
  });

  it('stores only a hash of the key', async () => {
    const admin = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['admin']);
    const created = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: admin.key,
      body: { name: 'hash check', scopes: ['events:read'] },
    });
    const key = created.json.key as string;
    issuedKeys.push(key);
    const secret = secretOf(key);
    const raw = await account()
      .table('apikeys')
      .getEntity(env.BOOTSTRAP_TENANT_ID!, created.json.id as string);
    const serialized = JSON.stringify(raw);
    expect(serialized).not.toContain(key);
    expect(serialized).not.toContain(secret);
    expect(raw.hash).toBe(createHash('sha256').update(key).digest('hex'));
  });
});

describe('bad input changes nothing', () => {
  async function keyCount(adminKey: string): Promise<number> {
    const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=200', { key: adminKey });
    return (res.json.items as unknown[]).length;
  }

  it('answers malformed JSON, wrong content type, oversize bodies and unknown fields with stable codes', async () => {
    const tenant = uniqueName('tenant-bad-');
    const admin = await mintKey(tenant, ['admin']);
    const before = await keyCount(admin.key);
    const cases: { name: string; init: Parameters<typeof call>[3]; status: number; code: string }[] = [
      {
        name: 'malformed JSON',
        init: { rawBody: '{"name": "x", "scopes": [', headers: { 'content-type': 'application/json' } },
        status: 400,
        code: 'malformed_json',
      },
      {
        name: 'wrong content type',
        init: { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        name: 'oversize body',
        init: { body: { name: 'x', scopes: ['events:read'], pad: 'a'.repeat(300 * 1024) } },
        status: 413,
        code: 'payload_too_large',
      },
      {
        name: 'unknown field',
        init: { body: { name: 'x', scopes: ['events:read'], color: 'blue' } },
        status: 400,
        code: 'unknown_field',
      },
      {
        name: 'invalid value',
        init: { body: { name: '', scopes: ['everything'] } },
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'empty body',
        init: { rawBody: '', headers: { 'content-type': 'application/json' } },
        status: 400,
        code: 'body_required',
      },
    ];
    for (const c of cases) {
      const res = await call(host.baseUrl, 'POST', '/api/v1/api-keys', { key: admin.key, ...c.init });
      expect({ case: c.name, status: res.status, code: res.json.code }).toEqual({
        case: c.name,
        status: c.status,
        code: c.code,
      });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await keyCount(admin.key)).toBe(before);
    let auditEntries = 0;
    for await (const _ of account()
      .table('audit')
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenant}` } })) {
      auditEntries++;
    }
    // Only the arranged key's creation is in the audit log.
    expect(auditEntries).toBe(1);
  });

  it('answers unknown routes and wrong methods with problem+json', async () => {
    const missing = await call(host.baseUrl, 'GET', '/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('route_not_found');
    const wrong = await call(host.baseUrl, 'PUT', '/api/v1/api-keys');
    expect(wrong.status).toBe(405);
    expect(wrong.json.code).toBe('method_not_allowed');
    expect(wrong.headers.get('allow')).toContain('POST');
  });

  it('echoes a caller correlation id and mints one otherwise', async () => {
    const echoed = await call(host.baseUrl, 'GET', '/api/healthz', { headers: { 'x-correlation-id': 'abc-123' } });
    expect(echoed.headers.get('x-correlation-id')).toBe('abc-123');
    const minted = await call(host.baseUrl, 'GET', '/api/healthz', {
      headers: { 'x-correlation-id': 'bad value with spaces' },
    });
    expect(minted.headers.get('x-correlation-id')).toMatch(/^[0-9A-Z]{26}$/);
  });
});

describe('meta endpoints', () => {
  it('serves healthz, the OpenAPI document and the reference page without a key', async () => {
    const health = await call(host.baseUrl, 'GET', '/api/healthz');
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
    const doc = await call(host.baseUrl, 'GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    const paths = doc.json.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/v1/api-keys', '/v1/api-keys/{id}', '/healthz']));
    expect(Object.keys(paths['/v1/api-keys']!)).toEqual(expect.arrayContaining(['get', 'post']));
    const page = await call(host.baseUrl, 'GET', '/api/v1/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('/api/v1/openapi.json');
  });
});

describe('secrets in logs', () => {
  it('never writes an API key, its secret part or the bootstrap key to the host log', async () => {
    const admin = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['admin']);
    const created = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: admin.key,
      body: { name: 'log check', scopes: ['events:read'] },
    });
    issuedKeys.push(created.json.key as string);
    await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: env.BOOTSTRAP_API_KEY! });
    await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: `${admin.key}x` });
    const log = host.output();
    expect(log).toContain('"msg":"request"');
    for (const key of [...issuedKeys, env.BOOTSTRAP_API_KEY!]) {
      expect(log).not.toContain(key);
      expect(log).not.toContain(secretOf(key));
    }
  });
});

/** The host's clock (tests move it forward), read through the test hook. */
async function hostNow(): Promise<number> {
  const res = await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 0 } });
  return Date.parse(res.json.now as string);
}

describe('key authority: no key outranks or outlives its creator', () => {
  it('an apikeys:write key cannot read, list or revoke an admin key', async () => {
    const tenant = uniqueName('tenant-authority-');
    const admin = await mintKey(tenant, ['admin']);
    const writer = await mintKey(tenant, ['apikeys:write']);
    const peer = await mintKey(tenant, ['apikeys:write']);
    const read = await call(host.baseUrl, 'GET', `/api/v1/api-keys/${admin.id}`, { key: writer.key });
    expect(read.status).toBe(403);
    expect(read.json.code).toBe('key_outranks_caller');
    const revoke = await call(host.baseUrl, 'DELETE', `/api/v1/api-keys/${admin.id}`, { key: writer.key });
    expect(revoke.status).toBe(403);
    expect(revoke.json.code).toBe('key_outranks_caller');
    const list = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=200', { key: writer.key });
    const ids = (list.json.items as { id: string }[]).map((k) => k.id);
    expect(ids).toEqual(expect.arrayContaining([writer.id, peer.id]));
    expect(ids).not.toContain(admin.id);
    // The admin key is untouched, and a key with the same scopes can be managed.
    expect((await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: admin.key })).status).toBe(200);
    expect((await call(host.baseUrl, 'GET', `/api/v1/api-keys/${peer.id}`, { key: writer.key })).status).toBe(200);
    const revokedPeer = await call(host.baseUrl, 'DELETE', `/api/v1/api-keys/${peer.id}`, { key: writer.key });
    expect(revokedPeer.status).toBe(200);
  });

  it('a key created by a key that expires in 10 minutes expires no later, and records its creator', async () => {
    const tenant = uniqueName('tenant-expiry-');
    const admin = await mintKey(tenant, ['admin']);
    const now = await hostNow();
    const shortLived = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: admin.key,
      body: {
        name: 'ten minutes',
        scopes: ['apikeys:write', 'events:read'],
        expiresAt: new Date(now + 10 * 60_000).toISOString(),
      },
    });
    expect(shortLived.status).toBe(201);
    expect(shortLived.json.createdBy).toBe(admin.id);
    const limit = Date.parse(shortLived.json.expiresAt as string);
    const unbounded = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: shortLived.json.key as string,
      body: { name: 'no expiry asked', scopes: ['events:read'] },
    });
    const later = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: shortLived.json.key as string,
      body: {
        name: 'a year asked',
        scopes: ['events:read'],
        expiresAt: new Date(now + 365 * 86_400_000).toISOString(),
      },
    });
    for (const child of [unbounded, later]) {
      expect(child.status).toBe(201);
      expect(Date.parse(child.json.expiresAt as string)).toBeLessThanOrEqual(limit);
      expect(child.json.createdBy).toBe(shortLived.json.id);
      issuedKeys.push(child.json.key as string);
    }
    issuedKeys.push(shortLived.json.key as string);
    await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 11 * 60_000 } });
    const expired = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: unbounded.json.key as string });
    expect(expired.status).toBe(401);
    expect(expired.json.code).toBe('api_key_expired');
  });

  it('caps every key at API_KEY_MAX_LIFETIME_DAYS (default 365)', async () => {
    const admin = await mintKey(uniqueName('tenant-lifetime-'), ['admin']);
    const now = await hostNow();
    const res = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: admin.key,
      body: { name: 'forever please', scopes: ['events:read'], expiresAt: '2999-01-01T00:00:00Z' },
    });
    expect(res.status).toBe(201);
    issuedKeys.push(res.json.key as string);
    const expiresAt = Date.parse(res.json.expiresAt as string);
    expect(expiresAt).toBeGreaterThan(now + 364 * 86_400_000);
    expect(expiresAt).toBeLessThanOrEqual(now + 365 * 86_400_000 + 60_000);
  });

  it('rejects key names with control or bidi-override characters', async () => {
    const admin = await mintKey(uniqueName('tenant-names-'), ['admin']);
    for (const name of ['ops\u202Edrowssap', 'tab\there', `broken\uD800`]) {
      const res = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
        key: admin.key,
        body: { name, scopes: ['events:read'] },
      });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('validation_failed');
    }
  });
});

describe('failed authentication is throttled', () => {
  it('30 wrong keys from one address end in 429 too_many_failed_auth with Retry-After; other addresses are unaffected', async () => {
    // Distinct clients are distinct source addresses: the host appends what it saw to
    // X-Forwarded-For, as the App Service front end does, and only that last entry counts.
    const attacker = '127.0.0.2';
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 30; i++) {
      const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys', {
        key: `wrong-key-${i}-${'x'.repeat(32)}`,
        from: attacker,
      });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(statuses.at(-1)).toBe(429);
    expect(limited!.json.code).toBe('too_many_failed_auth');
    expect(limited!.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(limited!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // A forged X-Forwarded-For does not buy a fresh bucket: the edge's own entry comes last.
    const spoofed = await call(host.baseUrl, 'GET', '/api/v1/api-keys', {
      key: 'wrong-again',
      headers: { 'x-forwarded-for': '198.51.100.1' },
      from: attacker,
    });
    expect(spoofed.status).toBe(429);
    const bystander = await call(host.baseUrl, 'GET', '/api/v1/api-keys', {
      key: 'wrong-key',
      from: '127.0.0.3',
    });
    expect(bystander.status).toBe(401);
    // Once the window has passed, the address may try again.
    await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 61_000 } });
    const later = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: 'wrong-key', from: attacker });
    expect(later.status).toBe(401);
  });

  it('guessing the secret of one key id is throttled across addresses', async () => {
    const target = await mintKey(uniqueName('tenant-guess-'), ['apikeys:write']);
    const guess = `${target.key.slice(0, -4)}ZZZZ`;
    let last = 0;
    for (let i = 0; i < 12; i++) {
      const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys', {
        key: guess,
        headers: { 'x-forwarded-for': `192.0.2.${i + 1}` },
      });
      last = res.status;
    }
    expect(last).toBe(429);
  });

  it("wrong guesses at a key's id never lock out the key itself", async () => {
    // Before: ten bad guesses at mhk_<victimId>_… gave the real key 429 for a minute.
    const victim = await mintKey(uniqueName('tenant-victim-'), ['apikeys:write']);
    const guess = `${victim.key.slice(0, -4)}ZZZZ`;
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: guess, from: `127.0.1.${i + 1}` });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(4).fill(429));
    // The owner, from a fresh address and from one that guessed: the right secret always passes.
    for (const from of ['127.0.1.100', '127.0.1.1']) {
      const own = await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: victim.key, from });
      expect(own.status, from).toBe(200);
    }
    // And the guesses at it are still refused.
    expect((await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: guess, from: '127.0.1.101' })).status).toBe(429);
  });

  it('a long spoofed X-Forwarded-For does not buy a throttled client a fresh bucket', async () => {
    const attacker = '127.0.2.1';
    let last = 0;
    for (let i = 0; i < 25 && last !== 429; i++) {
      last = (
        await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: `wrong-${i}-${'y'.repeat(32)}`, from: attacker })
      ).status;
    }
    expect(last).toBe(429);
    // Before: a header over 2 KiB landed in one shared "unknown" bucket with a fresh allowance.
    for (const forged of ['a'.repeat(5000), `${'10.0.0.1, '.repeat(1000)}198.51.100.7`, '<script>,']) {
      const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys', {
        key: 'wrong-again',
        headers: { 'x-forwarded-for': forged },
        from: attacker,
      });
      expect(res.status).toBe(429);
      expect(res.json.code).toBe('too_many_failed_auth');
    }
  });

  it('survives hostile X-Forwarded-For values', async () => {
    for (const value of ['', ',,,', '[::1', '999.1.1.1', 'a'.repeat(4000), 'unknown, ::ffff:10.0.0.1', '::1%25eth0']) {
      const res = await call(host.baseUrl, 'GET', '/api/v1/api-keys', {
        key: 'wrong-key',
        headers: { 'x-forwarded-for': value },
      });
      expect([401, 429]).toContain(res.status);
    }
    expect((await call(host.baseUrl, 'GET', '/api/healthz')).status).toBe(200);
  });
});

describe('cursors', () => {
  it('a forged, truncated or garbled cursor is 400 invalid_cursor and the host still answers', async () => {
    const admin = await mintKey(uniqueName('tenant-cursor-'), ['admin']);
    await mintKey(env.BOOTSTRAP_TENANT_ID!, ['events:read']);
    const page = await call(host.baseUrl, 'GET', '/api/v1/api-keys?limit=1', { key: env.BOOTSTRAP_API_KEY! });
    const real = page.json.nextCursor as string;
    expect(real).toBeTruthy();
    // Well-formed and MAC'd with the constant key older builds used, around a token the storage
    // SDK cannot parse: exactly what used to reach the SDK and answer 500.
    const token = Buffer.from('{"nextPartitionKey":').toString('base64');
    const s = createHmac('sha256', 'msp-integration-hub/list-cursor/v1')
      .update(JSON.stringify([token, 'apikeys', env.BOOTSTRAP_TENANT_ID, null, null, null]))
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    const forged = Buffer.from(JSON.stringify({ v: 1, t: token, s })).toString('base64url');
    const cases = [forged, real.slice(0, -6), `${real}garbage`, '%%%', 'e30', real.replace(/[A-Za-z]/, '_')];
    for (const cursor of cases) {
      const res = await call(host.baseUrl, 'GET', `/api/v1/api-keys?limit=1&cursor=${encodeURIComponent(cursor)}`, {
        key: admin.key,
      });
      expect({ cursor, status: res.status, code: res.json.code }).toEqual({
        cursor,
        status: 400,
        code: 'invalid_cursor',
      });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    // Another tenant's genuine cursor is refused as well.
    const foreign = await call(host.baseUrl, 'GET', `/api/v1/api-keys?limit=1&cursor=${encodeURIComponent(real)}`, {
      key: admin.key,
    });
    expect(foreign.json.code).toBe('invalid_cursor');
    expect((await call(host.baseUrl, 'GET', '/api/healthz')).status).toBe(200);
  });
});

describe('response hygiene', () => {
  it('sends no-store and nosniff on every API response, errors included', async () => {
    const admin = await mintKey(env.BOOTSTRAP_TENANT_ID!, ['admin']);
    const created = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
      key: admin.key,
      body: { name: 'cache check', scopes: ['events:read'] },
    });
    issuedKeys.push(created.json.key as string);
    const responses = [
      created,
      await call(host.baseUrl, 'GET', '/api/v1/api-keys', { key: admin.key }),
      await call(host.baseUrl, 'GET', '/api/v1/api-keys'),
      await call(host.baseUrl, 'GET', '/api/v1/openapi.json'),
      await call(host.baseUrl, 'GET', '/api/healthz'),
    ];
    for (const res of responses) {
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('serves the reference page under a Content-Security-Policy that admits only its own script', async () => {
    const page = await call(host.baseUrl, 'GET', '/api/v1/docs');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    const script = /<script>([\s\S]*)<\/script>/.exec(page.text)?.[1] ?? '';
    const hash = createHash('sha256').update(script).digest('base64');
    expect(csp).toContain(`'sha256-${hash}'`);
  });

  it('takes the OpenAPI server URL from PUBLIC_BASE_URL, never from the Host header', async () => {
    const { port } = new URL(host.baseUrl);
    const body = await new Promise<string>((resolveBody, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/api/v1/openapi.json', headers: { host: 'evil.example' } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => resolveBody(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(body).not.toContain('evil.example');
    const doc = JSON.parse(body) as { servers: { url: string }[] };
    expect(doc.servers).toEqual([{ url: `${PUBLIC_BASE_URL}/api` }]);
  });
});
