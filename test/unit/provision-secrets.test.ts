import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ensureSecrets,
  generateSecret,
  KeyVaultError,
  keyVaultRestClient,
  planSecrets,
  type SecretClient,
} from '../../scripts/provision-secrets-core.mjs';
import { isValidFernetKey } from '../../shared/crypto/fernet';

/**
 * The azd postprovision hook (scripts/provision-secrets.mjs): which of the app's secrets are
 * missing, what it creates for each, and its Key Vault client, driven against an in-memory vault
 * and a fake Key Vault on loopback HTTP that speaks the REST API's shapes (lists without values,
 * soft-deleted secrets, paging, 403 with an inner error code).
 */

const REQUIRED = ['credential-encryption-key', 'cursor-signing-key', 'operator-api-key'];

class MemoryVault implements SecretClient {
  readonly values = new Map<string, string>();
  readonly deleted = new Map<string, string>();
  readonly writes: string[] = [];

  async listSecretNames(): Promise<string[]> {
    return [...this.values.keys()];
  }
  async listDeletedSecretNames(): Promise<string[]> {
    return [...this.deleted.keys()];
  }
  async setSecret(name: string, value: string): Promise<void> {
    this.writes.push(name);
    this.values.set(name, value);
  }
  async recoverSecret(name: string): Promise<void> {
    const value = this.deleted.get(name);
    if (value === undefined) throw new Error(`not deleted: ${name}`);
    this.deleted.delete(name);
    this.values.set(name, value);
  }
}

describe('postprovision secrets: the decision', () => {
  it('creates every secret on an empty vault, each in the format the app reads', async () => {
    const vault = new MemoryVault();
    const lines: string[] = [];
    const plan = await ensureSecrets({ client: vault, required: REQUIRED, log: (line) => lines.push(line) });
    expect(plan).toEqual({ keep: [], recover: [], create: REQUIRED });
    // One Fernet key (what CREDENTIAL_KEY_SECRET_NAME's ring holds), two opaque keys of ≥ 32 chars.
    expect(isValidFernetKey(vault.values.get('credential-encryption-key') ?? '')).toBe(true);
    for (const name of ['cursor-signing-key', 'operator-api-key']) {
      expect(vault.values.get(name)?.length ?? 0).toBeGreaterThanOrEqual(32);
    }
    // The log names secrets, never values.
    for (const value of vault.values.values()) expect(lines.join('\n')).not.toContain(value);
  });

  it('leaves existing secrets alone and creates only what is missing; a second run changes nothing', async () => {
    const vault = new MemoryVault();
    vault.values.set('cursor-signing-key', 'x'.repeat(40));
    await ensureSecrets({ client: vault, required: REQUIRED });
    expect(vault.writes.sort()).toEqual(['credential-encryption-key', 'operator-api-key']);
    expect(vault.values.get('cursor-signing-key')).toBe('x'.repeat(40));
    const before = new Map(vault.values);
    const again = await ensureSecrets({ client: vault, required: REQUIRED });
    expect(again).toEqual({ keep: REQUIRED, recover: [], create: [] });
    expect(vault.values).toEqual(before);
  });

  it('recovers a soft-deleted secret instead of replacing it (its value may decrypt stored credentials)', async () => {
    const vault = new MemoryVault();
    vault.deleted.set('credential-encryption-key', 'the-old-key');
    const plan = await ensureSecrets({ client: vault, required: REQUIRED });
    expect(plan.recover).toEqual(['credential-encryption-key']);
    expect(vault.values.get('credential-encryption-key')).toBe('the-old-key');
    expect(vault.writes).not.toContain('credential-encryption-key');
  });

  it('plans from names alone, and generates a different value every time', () => {
    expect(planSecrets({ required: ['a', 'b', 'c'], present: ['a', 'z'], deleted: ['b', 'a'] })).toEqual({
      keep: ['a'],
      recover: ['b'],
      create: ['c'],
    });
    expect(generateSecret('operator-api-key')).not.toBe(generateSecret('operator-api-key'));
    expect(() => generateSecret('something-else')).toThrow(/no value format/);
  });
});

/** A Key Vault data plane on loopback: the REST shapes the hook relies on, nothing more. */
class FakeKeyVault {
  readonly values = new Map<string, string>();
  readonly deleted = new Set<string>();
  readonly requests: { method: string; path: string; authorization: string | undefined; body: string }[] = [];
  refuse: { status: number; code: string } | undefined;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.url);
      const body = Buffer.concat(chunks).toString('utf8');
      this.requests.push({
        method: req.method ?? '',
        path: url.pathname,
        authorization: req.headers.authorization,
        body,
      });
      const send = (status: number, payload?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      if (url.searchParams.get('api-version') !== '7.4') return send(400, { error: { code: 'BadParameter' } });
      if (this.refuse) {
        return send(this.refuse.status, {
          error: {
            code: 'Forbidden',
            message: 'Caller 10.0.0.1 is not authorized',
            innererror: { code: this.refuse.code },
          },
        });
      }
      const parts = url.pathname.split('/').filter(Boolean);
      const id = (kind: string, name: string) => `${this.url}${kind}/${name}`;
      if (req.method === 'GET' && parts[0] === 'secrets' && parts.length === 1) {
        // Two pages, to exercise nextLink.
        const names = [...this.values.keys()];
        const page = url.searchParams.get('page') === '2' ? names.slice(1) : names.slice(0, 1);
        const nextLink =
          url.searchParams.get('page') !== '2' && names.length > 1 ? `${this.url}secrets?api-version=7.4&page=2` : null;
        return send(200, {
          value: page.map((name) => ({ id: id('secrets', name), attributes: { enabled: true } })),
          nextLink,
        });
      }
      if (req.method === 'GET' && parts[0] === 'deletedsecrets' && parts.length === 1) {
        return send(200, {
          value: [...this.deleted].map((name) => ({ recoveryId: id('deletedsecrets', name), id: id('secrets', name) })),
          nextLink: null,
        });
      }
      if (req.method === 'PUT' && parts[0] === 'secrets' && parts[1]) {
        if (this.deleted.has(parts[1])) return send(409, { error: { code: 'Conflict' } });
        const { value } = JSON.parse(body) as { value: string };
        this.values.set(parts[1], value);
        return send(200, { id: id('secrets', parts[1]) });
      }
      if (req.method === 'POST' && parts[0] === 'deletedsecrets' && parts[2] === 'recover' && parts[1]) {
        if (!this.deleted.delete(parts[1])) return send(404, { error: { code: 'SecretNotFound' } });
        this.values.set(parts[1], 'recovered');
        return send(200, { id: id('secrets', parts[1]) });
      }
      return send(404, { error: { code: 'NotFound' } });
    });
  }
}

describe('postprovision secrets: the Key Vault REST client', () => {
  let vault: FakeKeyVault | undefined;
  afterEach(async () => {
    await vault?.stop();
    vault = undefined;
  });

  async function started(): Promise<FakeKeyVault> {
    vault = new FakeKeyVault();
    await vault.start();
    return vault;
  }

  it('lists names across pages, recovers deleted secrets, creates the rest, with the bearer token', async () => {
    const kv = await started();
    kv.values.set('unrelated-a', 'a');
    kv.values.set('cursor-signing-key', 'c'.repeat(40));
    kv.deleted.add('operator-api-key');
    const client = keyVaultRestClient({ vaultUri: kv.url, getToken: async () => 'token-1' });
    const plan = await ensureSecrets({ client, required: REQUIRED });
    expect(plan).toEqual({
      keep: ['cursor-signing-key'],
      recover: ['operator-api-key'],
      create: ['credential-encryption-key'],
    });
    expect(kv.values.get('cursor-signing-key')).toBe('c'.repeat(40));
    expect(kv.values.get('operator-api-key')).toBe('recovered');
    expect(isValidFernetKey(kv.values.get('credential-encryption-key') ?? '')).toBe(true);
    expect(kv.requests.every((r) => r.authorization === 'Bearer token-1')).toBe(true);
    // No request reads a secret's value; the only value on the wire is the one created.
    expect(
      kv.requests
        .filter((r) => r.method === 'GET')
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/deletedsecrets', '/secrets', '/secrets']);
    expect(kv.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([
      '/secrets/credential-encryption-key',
    ]);
  });

  it('a refusal says what to do and carries no value or server message', async () => {
    const kv = await started();
    kv.refuse = { status: 403, code: 'ForbiddenByRbac' };
    const client = keyVaultRestClient({ vaultUri: kv.url, getToken: async () => 'token-2' });
    const failure = await ensureSecrets({ client, required: REQUIRED }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KeyVaultError);
    const error = failure as KeyVaultError;
    expect(error.status).toBe(403);
    expect(error.code).toBe('ForbiddenByRbac');
    expect(error.message).toMatch(/Key Vault Secrets Officer/);
    expect(error.message).not.toMatch(/10\.0\.0\.1|token-2/);

    kv.refuse = { status: 403, code: 'ForbiddenByFirewall' };
    const firewall = (await ensureSecrets({ client, required: REQUIRED }).catch((e: unknown) => e)) as KeyVaultError;
    expect(firewall.message).toMatch(/DEPLOYER_IP_ADDRESS/);
    expect(kv.values.size).toBe(0);
  });

  it('refuses a paging link to another host (the token would follow it)', async () => {
    const kv = await started();
    const client = keyVaultRestClient({
      vaultUri: kv.url,
      getToken: async () => 'token-3',
      fetch: async () =>
        new Response(JSON.stringify({ value: [], nextLink: 'https://elsewhere.example/secrets?page=2' }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
    });
    await expect(client.listSecretNames()).rejects.toThrow(/another host/);
  });
});
