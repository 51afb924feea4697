import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { credentialCipher, resetCredentialCipher } from '../../shared/app/process-cipher';
import { type Services, setServices } from '../../shared/app/services';
import { installClock, ManualClock } from '../../shared/clock';
import { parseSettings } from '../../shared/config/settings';
import {
  type CredentialCipher,
  createCredentialCipher,
  type ReencryptRow,
  reencryptAll,
} from '../../shared/crypto/credential-cipher';
import { fernetDecrypt, fernetEncrypt, generateFernetKey } from '../../shared/crypto/fernet';
import { DomainError } from '../../shared/errors/domain-error';
import { CachedSecretSource, type SecretSource, SecretUnavailableError } from '../../shared/secrets/secret-source';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { TableRepository } from '../../shared/storage/table-repository';

const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
let seq = 0;
const tableName = () => `credrot${process.pid}${Date.now().toString(36)}${seq++}`;

/** The shape the integrations table will have, reduced to what rotation touches. */
const Integration = z.object({ vendor: z.string(), name: z.string(), encryptedCredentials: z.string() });
type Integration = z.infer<typeof Integration>;

const TENANTS = ['tenant-a', 'tenant-b'];

/**
 * The re-encrypt command over a TableRepository, as the integrations capability will wire it: every
 * row of every tenant, saved with a conditional read-modify-write that leaves a row alone when its
 * token changed since it was read (a concurrent credential update already wrote a primary token).
 */
async function* integrationRows(
  repo: TableRepository<Integration>,
  hooks: { beforeSave?: (tenant: string, id: string) => Promise<void> } = {},
): AsyncGenerator<ReencryptRow> {
  for (const tenant of TENANTS) {
    for await (const row of repo.iterate(tenant)) {
      const read = row.value.encryptedCredentials;
      yield {
        id: `${tenant}/${row.rowKey}`,
        token: read,
        save: async (newToken) => {
          await hooks.beforeSave?.(tenant, row.rowKey);
          await repo.update(tenant, row.rowKey, (current) =>
            current && current.encryptedCredentials === read
              ? { ...current, encryptedCredentials: newToken }
              : undefined,
          );
        },
      };
    }
  }
}

/** A key ring whose text the test changes, as an operator changes the Key Vault secret. */
function ringSource(initial: string) {
  const state = { text: initial };
  return { state, load: async () => state.text };
}

const credentialsFor = (i: number) => ({ apiUser: `user${i}@msp.example`, secret: `s3cr3t-${i}`, code: `INT-${i}` });

async function seed(repo: TableRepository<Integration>, cipher: CredentialCipher, perTenant: number): Promise<void> {
  for (const tenant of TENANTS) {
    for (let i = 0; i < perTenant; i++) {
      await repo.insert(tenant, `int${String(i).padStart(3, '0')}`, {
        vendor: 'autotask',
        name: `Integration ${i}`,
        encryptedCredentials: await cipher.encryptJson(credentialsFor(i)),
      });
    }
  }
}

async function allTokens(repo: TableRepository<Integration>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const tenant of TENANTS) {
    for await (const row of repo.iterate(tenant)) out.set(`${tenant}/${row.rowKey}`, row.value.encryptedCredentials);
  }
  return out;
}

function opensWith(key: string, token: string): boolean {
  try {
    fernetDecrypt(key, token);
    return true;
  } catch {
    return false;
  }
}

async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
  setServices(undefined);
  resetCredentialCipher();
});

describe('credential cipher', () => {
  it('round-trips credentials JSON as a Fernet token that opens with the primary key alone', async () => {
    const key = generateFernetKey();
    const cipher = createCredentialCipher(async () => key);
    const token = await cipher.encryptJson(credentialsFor(1));
    expect(token).not.toContain('s3cr3t');
    expect(JSON.parse(fernetDecrypt(key, token).toString())).toEqual(credentialsFor(1));
    expect(await cipher.decryptJson(token)).toEqual(credentialsFor(1));
    await expect(cipher.encryptJson(undefined)).rejects.toThrow(TypeError);
  });

  it('a token no key opens is credentials_unreadable, with nothing secret in the error', async () => {
    const key = generateFernetKey();
    const other = generateFernetKey();
    const token = fernetEncrypt(other, JSON.stringify(credentialsFor(7)));
    const cipher = createCredentialCipher(async () => key);
    const error = await domainError(cipher.decryptJson(token));
    expect(error.code).toBe('credentials_unreadable');
    expect(error.details).toEqual({ reason: 'bad_signature' });
    const visible = `${error.message} ${JSON.stringify(error.details)} ${error.stack} ${String(error.cause)}`;
    for (const secret of [key, other, token, 's3cr3t-7']) expect(visible).not.toContain(secret);

    const notJson = await domainError(cipher.decryptJson(fernetEncrypt(key, 'password=s3cr3t-8')));
    expect(notJson.details).toEqual({ reason: 'not_json' });
    expect(`${notJson.message} ${notJson.stack} ${String(notJson.cause)}`).not.toContain('s3cr3t-8');
    expect((await domainError(cipher.needsRotation(token))).code).toBe('credentials_unreadable');
  });

  it('a malformed key ring is credential_key_unavailable and the message names no key', async () => {
    const good = generateFernetKey();
    const cipher = createCredentialCipher(async () => `${good},not-a-key`);
    const error = await domainError(cipher.encryptJson({ a: 1 }));
    expect(error.code).toBe('credential_key_unavailable');
    expect(error.message).toContain('key 2 of 2');
    expect(error.message).not.toContain(good);
    expect(error.message).not.toContain('not-a-key');
  });
});

describe('credentialCipher() from settings and the secret source', () => {
  const localBase = {
    HUB_ENVIRONMENT: 'development',
    DataStorage: 'UseDevelopmentStorage=true',
    BUS_MODE: 'storage-queues',
  };
  /** Just the parts of Services the cipher reads. */
  function install(env: Record<string, string>, secrets: SecretSource): void {
    const settings = parseSettings({ ...localBase, ...env });
    setServices({ settings, secrets } as Services);
    resetCredentialCipher();
  }
  const noSecrets: SecretSource = {
    get: async (name) => {
      throw new SecretUnavailableError(name, 'not in this test');
    },
  };

  it('reads CREDENTIAL_ENCRYPTION_KEY locally; the settings schema refuses a bad one without echoing it', async () => {
    const key = generateFernetKey();
    install({ CREDENTIAL_ENCRYPTION_KEY: key }, noSecrets);
    const token = await credentialCipher().encryptJson({ x: 1 });
    expect(fernetDecrypt(key, token).toString()).toBe('{"x":1}');
    const refused = (() => {
      try {
        parseSettings({ ...localBase, CREDENTIAL_ENCRYPTION_KEY: `${key},abc` });
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(refused).toMatch(/CREDENTIAL_ENCRYPTION_KEY: must be one or more Fernet keys/);
    expect(refused).not.toContain(key);
  });

  it('prefers the Key Vault secret, caches it, and picks up a rotated ring after the cache expires', async () => {
    const clock = new ManualClock();
    restoreClock = installClock(clock);
    const oldKey = generateFernetKey();
    const newKey = generateFernetKey();
    const vault = { value: oldKey, reads: 0 };
    const source: SecretSource = {
      get: async (name) => {
        expect(name).toBe('credential-encryption-key');
        vault.reads += 1;
        return vault.value;
      },
    };
    install(
      { CREDENTIAL_KEY_SECRET_NAME: 'credential-encryption-key', CREDENTIAL_ENCRYPTION_KEY: generateFernetKey() },
      new CachedSecretSource(source, 5 * 60_000),
    );
    const cipher = credentialCipher();
    const before = await cipher.encryptJson({ v: 'old' });
    await cipher.decryptJson(before);
    expect(vault.reads).toBe(1);
    expect(fernetDecrypt(oldKey, before).toString()).toBe('{"v":"old"}');

    vault.value = `${newKey},${oldKey}`;
    clock.advance(5 * 60_000 + 1);
    const after = await cipher.encryptJson({ v: 'new' });
    expect(vault.reads).toBe(2);
    expect(fernetDecrypt(newKey, after).toString()).toBe('{"v":"new"}');
    expect(await cipher.decryptJson(before)).toEqual({ v: 'old' });
    expect(await cipher.needsRotation(before)).toBe(true);
    expect(await cipher.needsRotation(after)).toBe(false);
  });

  it('keeps the last ring when Key Vault fails later; with no ring at all it is credential_key_unavailable', async () => {
    const key = generateFernetKey();
    let up = true;
    const flaky: SecretSource = {
      get: async (name) => {
        if (!up) throw new SecretUnavailableError(name, 'Key Vault answered 503');
        return key;
      },
    };
    install({ CREDENTIAL_KEY_SECRET_NAME: 'credential-encryption-key' }, flaky);
    const token = await credentialCipher().encryptJson({ ok: true });
    up = false;
    expect(await credentialCipher().decryptJson(token)).toEqual({ ok: true });

    install({ CREDENTIAL_KEY_SECRET_NAME: 'credential-encryption-key' }, flaky);
    const error = await domainError(credentialCipher().decryptJson(token));
    expect(error.code).toBe('credential_key_unavailable');
    expect(error.message).toContain('credential-encryption-key');

    install({}, noSecrets);
    expect((await domainError(credentialCipher().encryptJson({}))).message).toContain('CREDENTIAL_ENCRYPTION_KEY');
  });
});

describe('key rotation over a table (Azurite)', () => {
  it('old tokens open until re-encrypted; reencryptAll rewrites every row under the primary, and again is a no-op', async () => {
    const repo = new TableRepository(account, tableName(), Integration);
    const k1 = generateFernetKey();
    const k2 = generateFernetKey();
    const ring = ringSource(k1);
    const cipher = createCredentialCipher(ring.load);
    await seed(repo, cipher, 12);

    // Step 1 of the runbook: the new key joins as primary, the old one stays for decryption.
    ring.state.text = `${k2},${k1}`;
    const original = await allTokens(repo);
    expect(original.size).toBe(24);
    for (const [id, token] of original) {
      const i = Number(id.split('/int')[1]);
      expect(await cipher.decryptJson(token)).toEqual(credentialsFor(i));
      expect(await cipher.needsRotation(token)).toBe(true);
    }
    // A credential changed after the switch is written under the new primary and left alone.
    await repo.update('tenant-a', 'int000', (current) =>
      current ? { ...current, encryptedCredentials: fernetEncrypt(k2, JSON.stringify({ changed: true })) } : undefined,
    );

    const first = await reencryptAll(integrationRows(repo), cipher);
    expect(first).toEqual({ scanned: 24, rewritten: 23, unreadable: [] });

    const rotated = await allTokens(repo);
    for (const [id, token] of rotated) {
      const i = Number(id.split('/int')[1]);
      const expected = id === 'tenant-a/int000' ? { changed: true } : credentialsFor(i);
      expect(JSON.parse(fernetDecrypt(k2, token).toString())).toEqual(expected);
      if (id !== 'tenant-a/int000') expect(token).not.toBe(original.get(id));
    }

    const again = await reencryptAll(integrationRows(repo), cipher);
    expect(again).toEqual({ scanned: 24, rewritten: 0, unreadable: [] });
    expect(await allTokens(repo)).toEqual(rotated);

    // Last step: the old key leaves the ring and everything still opens.
    ring.state.text = k2;
    for (const token of rotated.values()) await cipher.decryptJson(token);
  });

  it('resumes after a crash part-way, and never overwrites a credential changed during the run', async () => {
    const repo = new TableRepository(account, tableName(), Integration);
    const k1 = generateFernetKey();
    const k2 = generateFernetKey();
    const ring = ringSource(k1);
    const cipher = createCredentialCipher(ring.load);
    await seed(repo, cipher, 8);
    ring.state.text = `${k2},${k1}`;

    let saves = 0;
    const crashing = integrationRows(repo, {
      beforeSave: async () => {
        saves += 1;
        if (saves === 6) throw new Error('instance died');
      },
    });
    await expect(reencryptAll(crashing, cipher)).rejects.toThrow('instance died');
    const halfway = await allTokens(repo);
    expect([...halfway.values()].filter((t) => opensWith(k2, t)).length).toBe(5);
    expect([...halfway.values()].filter((t) => opensWith(k1, t)).length).toBe(11);

    // During the resumed run, an admin updates tenant-b/int003 between our read and our save.
    const resumed = await reencryptAll(
      integrationRows(repo, {
        beforeSave: async (tenant, id) => {
          if (tenant === 'tenant-b' && id === 'int003') {
            await repo.update(tenant, id, (current) =>
              current
                ? { ...current, encryptedCredentials: fernetEncrypt(k2, JSON.stringify({ updated: 'by admin' })) }
                : undefined,
            );
          }
        },
      }),
      cipher,
    );
    expect(resumed).toEqual({ scanned: 16, rewritten: 11, unreadable: [] });
    const final = await allTokens(repo);
    expect(JSON.parse(fernetDecrypt(k2, final.get('tenant-b/int003')!).toString())).toEqual({ updated: 'by admin' });
    for (const [id, token] of final) {
      if (id === 'tenant-b/int003') continue;
      expect(JSON.parse(fernetDecrypt(k2, token).toString())).toEqual(credentialsFor(Number(id.split('/int')[1])));
    }
  });

  it('reports rows no key opens by id and rotates the rest', async () => {
    const repo = new TableRepository(account, tableName(), Integration);
    const k1 = generateFernetKey();
    const k2 = generateFernetKey();
    const ring = ringSource(k1);
    const cipher = createCredentialCipher(ring.load);
    await seed(repo, cipher, 3);
    await repo.update('tenant-b', 'int001', (current) =>
      current ? { ...current, encryptedCredentials: fernetEncrypt(generateFernetKey(), '{"lost":true}') } : undefined,
    );
    ring.state.text = `${k2},${k1}`;
    const result = await reencryptAll(integrationRows(repo), cipher);
    expect(result).toEqual({ scanned: 6, rewritten: 5, unreadable: ['tenant-b/int001'] });
  });
});
