import { afterEach, describe, expect, it } from 'vitest';
import { CRASH_AFTER_KEY_RECORD, createApiKey, listApiKeys, revokeApiKey } from '../../shared/apikeys/api-keys';
import { authenticate } from '../../shared/apikeys/authenticate';
import { UnauthorizedError } from '../../shared/apikeys/errors';
import type { Principal } from '../../shared/apikeys/principal';
import { apiKeyTables, LOOKUP_ROW } from '../../shared/apikeys/tables';
import { auditTable } from '../../shared/audit/audit-log';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { uniqueName } from '../support/host-process';
import { connection } from '../support/local-settings';

class SimulatedCrash extends Error {}

afterEach(() => disarmCrashPoints());

describe('API key creation interrupted by a crash', () => {
  it('leaves a listed, revocable key that cannot authenticate — never a working key nobody can see', async () => {
    const account = storageAccountFromConnectionString(connection());
    const deps = { tables: apiKeyTables(account), audit: auditTable(account) };
    const caller: Principal = { tenantId: uniqueName('tenant-'), keyId: 'test', scopes: ['admin'] };
    setCrashHandler((name) => {
      throw new SimulatedCrash(name);
    });
    armCrashPoint(CRASH_AFTER_KEY_RECORD);
    const crashed = await createApiKey(deps, caller, { name: 'half made', scopes: ['events:read'] }, 'c1').catch(
      (e: unknown) => e,
    );
    expect(crashed).toBeInstanceOf(SimulatedCrash);

    const listed = await listApiKeys(deps, caller, { limit: 10 });
    expect(listed.items.map((k) => k.name)).toEqual(['half made']);
    const id = listed.items[0]!.id;
    // Why it cannot authenticate: the lookup row that makes a key usable was never written. (A
    // guessed secret would be refused anyway, so the refusal below alone proves nothing.)
    expect(await deps.tables.lookup.get(id, LOOKUP_ROW)).toBeUndefined();
    // The caller never received the key; even a guess with the right id is refused.
    await expect(authenticate(`mhk_${id}_${'A'.repeat(43)}`, deps.tables, undefined)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    const revoked = await revokeApiKey(deps, caller, id, 'c2');
    expect(revoked.revokedAt).not.toBeNull();

    // A retry after the crash simply creates a new, working key.
    const retry = await createApiKey(deps, caller, { name: 'retry', scopes: ['events:read'] }, 'c3');
    expect(await deps.tables.lookup.get(retry.id, LOOKUP_ROW)).toMatchObject({ value: { tenantId: caller.tenantId } });
    const principal = await authenticate(retry.key, deps.tables, undefined);
    expect(principal).toMatchObject({ tenantId: caller.tenantId, keyId: retry.id, scopes: ['events:read'] });
  });
});
