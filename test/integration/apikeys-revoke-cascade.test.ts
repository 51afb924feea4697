import { afterEach, describe, expect, it } from 'vitest';
import {
  CRASH_AFTER_REVOKE_TARGET,
  CRASH_DURING_CASCADE,
  createApiKey,
  getApiKey,
  revokeApiKey,
} from '../../shared/apikeys/api-keys';
import { authenticate } from '../../shared/apikeys/authenticate';
import { UnauthorizedError } from '../../shared/apikeys/errors';
import type { Principal } from '../../shared/apikeys/principal';
import type { Scope } from '../../shared/apikeys/scopes';
import { apiKeyTables } from '../../shared/apikeys/tables';
import { auditTable } from '../../shared/audit/audit-log';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { uniqueName } from '../support/host-process';

/**
 * Revoking a key revokes the keys it created, and theirs (docs/decisions.md §42): idempotent,
 * audited per key, and finished by a retry when a crash interrupts it.
 */
class SimulatedCrash extends Error {}

afterEach(() => disarmCrashPoints());

function deps() {
  const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
  return { tables: apiKeyTables(account), audit: auditTable(account) };
}

/** admin → A → (B → D, C); E made by admin beside A. Returns ids and keys by name. */
async function tree() {
  const d = deps();
  const tenantId = uniqueName('tenant-cascade-');
  const admin: Principal = { tenantId, keyId: 'bootstrap', scopes: ['admin'] };
  const make = async (creator: Principal, name: string, scopes: Scope[]) => {
    const created = await createApiKey(d, creator, { name, scopes }, `create-${name}`);
    const principal = await authenticate(created.key, d.tables, undefined);
    return { id: created.id, key: created.key, principal };
  };
  const a = await make(admin, 'A', ['apikeys:write', 'events:read', 'sops:read']);
  const b = await make(a.principal, 'B', ['apikeys:write', 'events:read']);
  const c = await make(a.principal, 'C', ['sops:read']);
  const dKey = await make(b.principal, 'D', ['events:read']);
  const e = await make(admin, 'E', ['events:read']);
  return { d, tenantId, admin, a, b, c, dKey, e };
}

async function usable(d: ReturnType<typeof deps>, key: string): Promise<boolean> {
  return authenticate(key, d.tables, undefined).then(
    () => true,
    (error: unknown) => {
      if (error instanceof UnauthorizedError && error.code === 'api_key_revoked') return false;
      throw error;
    },
  );
}

async function revocations(d: ReturnType<typeof deps>, tenantId: string) {
  const page = await d.audit.list(tenantId, { limit: 100 });
  return page.items
    .map((row) => row.value)
    .filter((entry) => entry.action === 'apikey.revoked')
    .map((entry) => ({ target: entry.targetId, actor: entry.actorKeyId, cascadeFrom: entry.details?.cascadeFrom }));
}

describe('revoking a key revokes the keys it created', () => {
  it('revokes the whole subtree, leaves siblings alone and audits each key once', async () => {
    const { d, tenantId, admin, a, b, c, dKey, e } = await tree();
    const view = await revokeApiKey(d, admin, a.id, 'revoke-a');
    expect(view.id).toBe(a.id);
    expect(view.revokedAt).not.toBeNull();
    for (const k of [a, b, c, dKey]) expect(await usable(d, k.key)).toBe(false);
    expect(await usable(d, e.key)).toBe(true);
    for (const k of [b, c, dKey]) expect((await getApiKey(d, admin, k.id)).revokedAt).not.toBeNull();

    const audited = await revocations(d, tenantId);
    expect(audited).toHaveLength(4);
    expect(audited).toEqual(
      expect.arrayContaining([
        { target: a.id, actor: 'bootstrap', cascadeFrom: undefined },
        { target: b.id, actor: 'bootstrap', cascadeFrom: a.id },
        { target: c.id, actor: 'bootstrap', cascadeFrom: a.id },
        { target: dKey.id, actor: 'bootstrap', cascadeFrom: a.id },
      ]),
    );

    // Idempotent: again changes nothing and writes no audit entry.
    const again = await revokeApiKey(d, admin, a.id, 'revoke-a-again');
    expect(again.revokedAt).toBe(view.revokedAt);
    expect(await revocations(d, tenantId)).toHaveLength(4);
  });

  it('revoking a middle key takes its own subtree only', async () => {
    const { d, admin, a, b, c, dKey } = await tree();
    await revokeApiKey(d, admin, b.id, 'revoke-b');
    expect(await usable(d, b.key)).toBe(false);
    expect(await usable(d, dKey.key)).toBe(false);
    expect(await usable(d, a.key)).toBe(true);
    expect(await usable(d, c.key)).toBe(true);
  });

  for (const [point, nth] of [
    [CRASH_AFTER_REVOKE_TARGET, 1],
    [CRASH_DURING_CASCADE, 1],
    [CRASH_DURING_CASCADE, 2],
  ] as const) {
    it(`a crash at ${point}#${nth} leaves the rest for a retry, which finishes the cascade`, async () => {
      const { d, tenantId, admin, a, b, c, dKey, e } = await tree();
      setCrashHandler((name) => {
        throw new SimulatedCrash(name);
      });
      armCrashPoint(point, nth);
      const crashed = await revokeApiKey(d, admin, a.id, 'revoke-a').catch((error: unknown) => error);
      expect(crashed).toBeInstanceOf(SimulatedCrash);
      disarmCrashPoints();
      // The requested key is revoked before anything else: it can create nothing new meanwhile.
      expect(await usable(d, a.key)).toBe(false);
      const leftUsable = (await Promise.all([b, c, dKey].map((k) => usable(d, k.key)))).filter(Boolean).length;
      expect(leftUsable).toBeGreaterThan(0);

      await revokeApiKey(d, admin, a.id, 'revoke-a-retry');
      for (const k of [a, b, c, dKey]) expect(await usable(d, k.key)).toBe(false);
      expect(await usable(d, e.key)).toBe(true);
      // Each key audited exactly once across the crash and the retry.
      const audited = await revocations(d, tenantId);
      expect(audited.map((x) => x.target).sort()).toEqual([a.id, b.id, c.id, dKey.id].sort());
    });
  }
});
