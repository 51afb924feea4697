import { odata, TableClient } from '@azure/data-tables';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { credentialCipher } from '../../shared/app/process-cipher';
import { fernetDecrypt, generateFernetKey } from '../../shared/crypto/fernet';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import {
  CRASH_AFTER_INTEGRATION_ROW,
  createIntegration,
  deleteIntegration,
  getIntegration,
  listIntegrations,
} from '../../shared/integrations/integrations';
import { allProbeTargets } from '../../shared/integrations/probe-index';
import { reencryptIntegrationCredentials } from '../../shared/integrations/reencrypt';
import { createLogger } from '../../shared/observability/logger';
import { fanOutProbes } from '../../shared/probes/fan-out';
import { handleProbeMessage } from '../../shared/probes/run-probe';
import { integrationStatusReport } from '../../shared/probes/status';
import { TenantDirectory } from '../../shared/tenants/directory';
import { TENANTS_PARTITION, tenantsTable } from '../../shared/tenants/tables';
import { setTenantStatus } from '../../shared/tenants/tenants';
import { VENDOR_IDS, type VendorId } from '../../shared/vendors/contract';
import { createItGlueConnector, ITGLUE_REGIONS, type ItGlueRegion } from '../../shared/vendors/itglue';
import { connectors } from '../../shared/vendors/registry';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import { ItGlueFake } from '../fakes/itglue';
import { uniqueName } from '../support/host-process';
import {
  adminOf,
  connection,
  type Harness,
  harness,
  installLocalSettings,
  probeDepsFor,
  RecordingBus,
  recheckDelivery,
  statusDepsFor,
} from '../support/integrations-harness';

/**
 * Integration lifecycle proofs (docs/design.md §7.1) in-process against Azurite and the fakes: what the stored rows hold,
 * IT Glue region discovery through the integrations layer, a create interrupted by a crash, delete,
 * disabled tenants and the re-encryption after a key rotation.
 */
let fakes: RunningFakes;
let h: Harness;
let keyRing: string;

beforeAll(async () => {
  keyRing = installLocalSettings();
  h = harness();
  fakes = await startAllFakes();
});
afterAll(async () => {
  await fakes?.stop();
});
afterEach(() => disarmCrashPoints());

async function create(caller: Principal, vendor: VendorId, options: { skipTest?: boolean; name?: string } = {}) {
  return createIntegration(
    h.integrations,
    caller,
    {
      vendor,
      name: options.name ?? `${vendor} account`,
      credentials: FAKE_CREDENTIALS[vendor],
      config: fakeConfig(vendor, fakes.baseUrls[vendor]),
    },
    { skipTest: options.skipTest ?? false, correlationId: 'corr-lifecycle' },
  );
}

/** Entity text as stored (Int64 properties come back as BigInt, which JSON.stringify refuses). */
const entityText = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

function rawTable(name: string): TableClient {
  return TableClient.fromConnectionString(connection(), name, { allowInsecureConnection: true });
}

async function rawRows(name: string, partitionKey: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const filter = odata`PartitionKey eq ${partitionKey}`;
  for await (const entity of rawTable(name).listEntities({ queryOptions: { filter } })) rows.push(entity);
  return rows;
}

async function rawRowsWithPrefix(name: string, prefix: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  // Every partition of the table, filtered here: index and history partitions are not the tenant id.
  for await (const entity of rawTable(name).listEntities()) {
    if (entityText(entity).includes(prefix)) rows.push(entity);
  }
  return rows;
}

describe('credentials at rest', () => {
  it('no stored row of any table holds a credential value, for every vendor; the token opens to them', async () => {
    const caller = adminOf();
    const ids: Record<string, VendorId> = {};
    for (const vendor of VENDOR_IDS) {
      const created = await create(caller, vendor);
      ids[created.id] = vendor;
      await handleProbeMessage(probeDepsFor(h, new RecordingBus()), recheckDelivery(caller.tenantId, created.id));
    }
    const integrationRows = await rawRows(h.names.integrations, caller.tenantId);
    expect(integrationRows).toHaveLength(VENDOR_IDS.length);
    const everything = [
      ...integrationRows,
      ...(await rawRows(h.names.defaults, caller.tenantId)),
      ...(await rawRows(h.names.status, caller.tenantId)),
      ...(await rawRowsWithPrefix(h.names.index, caller.tenantId)),
      ...(await rawRowsWithPrefix(h.names.history, caller.tenantId)),
      ...(await rawRows('audit', caller.tenantId)),
    ];
    expect(everything.length).toBeGreaterThan(VENDOR_IDS.length * 4);
    const values = VENDOR_IDS.flatMap((v) => Object.values(FAKE_CREDENTIALS[v]));
    for (const row of everything) {
      for (const [property, stored] of Object.entries(row)) {
        const text = entityText(stored);
        for (const value of values) {
          expect(text.includes(value), `${value} found in ${property}`).toBe(false);
        }
      }
    }
    for (const row of integrationRows) {
      const vendor = ids[row.rowKey as string]!;
      expect(row.encryptedCredentials).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/);
      expect(fernetDecrypt(keyRing, String(row.encryptedCredentials)).toString('utf8')).toBe(
        JSON.stringify(FAKE_CREDENTIALS[vendor]),
      );
      expect(JSON.parse(String(row.credentialFields__json))).toEqual(Object.keys(FAKE_CREDENTIALS[vendor]).sort());
    }
  });
});

describe('IT Glue with a blank region', () => {
  it('tries US, EU, AU through the integrations layer and saves the region that answered', async () => {
    // The good key belongs to the EU data centre; the other regions answer 401 as IT Glue does.
    const regions: Record<ItGlueRegion, ItGlueFake> = {
      us: new ItGlueFake('us', 'eu'),
      eu: new ItGlueFake('eu', 'eu'),
      au: new ItGlueFake('au', 'eu'),
    };
    const hosts = {} as Record<ItGlueRegion, string>;
    for (const region of ITGLUE_REGIONS) hosts[region] = await regions[region].start();
    const original = connectors.itglue;
    connectors.itglue = createItGlueConnector(hosts) as typeof original;
    try {
      const caller = adminOf();
      const created = await createIntegration(
        h.integrations,
        caller,
        { vendor: 'itglue', name: 'IT Glue (region unknown)', credentials: FAKE_CREDENTIALS.itglue, config: {} },
        { skipTest: false, correlationId: 'corr-region' },
      );
      expect(created.config).toEqual({ region: 'eu' });
      expect(created.test).toMatchObject({ ok: true, status: 'connected' });
      const stored = await h.integrations.tables.integrations.get(caller.tenantId, created.id);
      expect(JSON.parse(stored!.value.config)).toEqual({ region: 'eu' });
      expect(ITGLUE_REGIONS.map((r) => regions[r].count('GET', '/organizations'))).toEqual([1, 1, 0]);

      // The saved region is used from then on: a probe goes to the EU host only.
      await handleProbeMessage(probeDepsFor(h, new RecordingBus()), recheckDelivery(caller.tenantId, created.id));
      expect(ITGLUE_REGIONS.map((r) => regions[r].count('GET', '/organizations'))).toEqual([1, 2, 0]);
      const report = await integrationStatusReport(statusDepsFor(h, new RecordingBus()), caller.tenantId);
      expect(report.items[0]).toMatchObject({ integrationId: created.id, state: 'connected' });
    } finally {
      connectors.itglue = original;
      await Promise.all(ITGLUE_REGIONS.map((r) => regions[r].stop()));
    }
  });
});

class SimulatedCrash extends Error {}

describe('create interrupted between the row and the default pointer', () => {
  it('leaves an integration that reads as default, is probed, and does not steal the default later', async () => {
    const caller = adminOf();
    setCrashHandler((name) => {
      throw new SimulatedCrash(name);
    });
    armCrashPoint(CRASH_AFTER_INTEGRATION_ROW);
    const crashed = await create(caller, 'pax8', { skipTest: true, name: 'half made' }).catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(SimulatedCrash);

    expect(await rawRows(h.names.defaults, caller.tenantId)).toEqual([]);
    const [row] = await rawRows(h.names.integrations, caller.tenantId);
    const id = row!.rowKey as string;

    // The read path heals the missing pointer.
    expect(await getIntegration(h.integrations, caller, id)).toMatchObject({ id, name: 'half made', isDefault: true });
    expect((await rawRows(h.names.defaults, caller.tenantId)).map((r) => r.integrationId)).toEqual([id]);
    // It is a probe target like any other.
    const targets = [];
    for await (const t of allProbeTargets(h.integrations.tables)) if (t.tenantId === caller.tenantId) targets.push(t);
    expect(targets).toEqual([{ tenantId: caller.tenantId, integrationId: id }]);

    const second = await create(caller, 'pax8', { skipTest: true, name: 'second' });
    expect(second.isDefault).toBe(false);
    const listed = await listIntegrations(h.integrations, caller, { limit: 10 });
    expect(listed.items.filter((i) => i.isDefault).map((i) => i.id)).toEqual([id]);
  });
});

describe('delete', () => {
  it('removes the credentials and the probe entry at once; a probe already queued completes without a vendor call', async () => {
    const caller = adminOf();
    const created = await create(caller, 'halopsa');
    const deps = probeDepsFor(h, new RecordingBus());
    await handleProbeMessage(deps, recheckDelivery(caller.tenantId, created.id));
    expect(await h.health.status.get(caller.tenantId, created.id)).toBeDefined();
    const queued = recheckDelivery(caller.tenantId, created.id);

    await deleteIntegration(h.integrations, caller, created.id, 'corr-delete');
    await expect(rawTable(h.names.integrations).getEntity(caller.tenantId, created.id)).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(await rawRowsWithPrefix(h.names.index, created.id)).toEqual([]);
    expect(await rawRows(h.names.defaults, caller.tenantId)).toEqual([]);

    const before = fakes.servers.halopsa.requests.length;
    expect(await handleProbeMessage(deps, queued)).toEqual({ kind: 'complete' });
    expect(fakes.servers.halopsa.requests.length).toBe(before);
    expect(await h.health.status.get(caller.tenantId, created.id)).toBeUndefined();

    // The next tick sends nothing for it.
    const bus = new RecordingBus();
    await fanOutProbes({ integrations: h.integrations, bus, tenantIsActive: async () => true, log: createLogger() });
    expect(bus.probes(caller.tenantId)).toEqual([]);
  });

  it('a delete that died before its index entry leaves an entry the next probe run drops', async () => {
    const caller = adminOf();
    const created = await create(caller, 'unifi', { skipTest: true });
    // What a crash between the two deletes leaves: the row gone, the index entry still there.
    await h.integrations.tables.integrations.delete(caller.tenantId, created.id);
    expect(await rawRowsWithPrefix(h.names.index, created.id)).toHaveLength(1);
    await handleProbeMessage(probeDepsFor(h, new RecordingBus()), recheckDelivery(caller.tenantId, created.id));
    expect(await rawRowsWithPrefix(h.names.index, created.id)).toEqual([]);
  });
});

describe('a disabled tenant', () => {
  it('is skipped by the fan-out and its queued probes call no vendor', async () => {
    const account = h.account;
    const table = tenantsTable(account);
    const directory = new TenantDirectory(table);
    const operator: Principal = { tenantId: '_operator', keyId: 'operator', scopes: ['admin'] };
    const at = new Date().toISOString();
    const tenants = [uniqueName('tenant-'), uniqueName('tenant-')] as const;
    for (const id of tenants) {
      await table.insert(TENANTS_PARTITION, id, {
        name: id,
        status: 'active',
        createdAt: at,
        updatedAt: at,
        createdBy: 'test',
      });
    }
    const [disabled, active] = tenants;
    const off = await create(adminOf(disabled), 'datto-edr', { skipTest: true });
    const on = await create(adminOf(active), 'datto-edr', { skipTest: true });
    await setTenantStatus(
      {
        table,
        directory,
        audit: h.integrations.audit,
        issueFirstAdminKey: async () => Promise.reject(new Error('unused')),
      },
      operator,
      disabled,
      'disabled',
      'corr-disable',
    );

    const bus = new RecordingBus();
    const result = await fanOutProbes({
      integrations: h.integrations,
      bus,
      tenantIsActive: (id) => directory.isActive(id),
      log: createLogger(),
    });
    expect(bus.probes(disabled)).toEqual([]);
    expect(bus.probes(active).map((m) => m.integrationId)).toEqual([on.id]);
    expect(result.skippedTenants).toBeGreaterThanOrEqual(1);

    // A probe queued before the tenant was disabled does nothing once it is.
    const before = fakes.servers['datto-edr'].requests.length;
    const deps = probeDepsFor(h, new RecordingBus(), { tenantIsActive: (id) => directory.isActive(id) });
    await handleProbeMessage(deps, recheckDelivery(disabled, off.id));
    expect(fakes.servers['datto-edr'].requests.length).toBe(before);
    expect(await h.health.status.get(disabled, off.id)).toBeUndefined();
  });
});

describe('re-encryption after a key rotation', () => {
  it('rewrites every row under the new primary key; old tokens open until then; a second run changes nothing', async () => {
    const first = adminOf();
    const second = adminOf();
    const created = [
      await create(first, 'autotask', { skipTest: true }),
      await create(first, 'pax8', { skipTest: true }),
      await create(second, 'microsoft365', { skipTest: true }),
    ];
    const rows = async () => {
      const all = [
        ...(await rawRows(h.names.integrations, first.tenantId)),
        ...(await rawRows(h.names.integrations, second.tenantId)),
      ];
      return new Map(all.map((r) => [r.rowKey as string, String(r.encryptedCredentials)]));
    };
    const before = await rows();
    const oldKey = keyRing;
    const newKey = generateFernetKey();
    try {
      // Runbook step 1: the new key joins as primary; the old one still opens what it wrote.
      installLocalSettings(`${newKey},${oldKey}`);
      for (const token of before.values()) expect(await credentialCipher().needsRotation(token)).toBe(true);
      const probeDeps = probeDepsFor(h, new RecordingBus());
      await handleProbeMessage(probeDeps, recheckDelivery(first.tenantId, created[1]!.id));
      expect((await h.health.status.get(first.tenantId, created[1]!.id))?.value.state).toBe('connected');

      // Runbook step 2: re-encrypt. Other tests' rows in this file's tables count too; ours must all move.
      const result = await reencryptIntegrationCredentials(h.integrations);
      expect(result.unreadable).toEqual([]);
      expect(result.rewritten).toBeGreaterThanOrEqual(created.length);
      const after = await rows();
      for (const c of created) {
        const vendor = c.vendor;
        expect(after.get(c.id)).not.toBe(before.get(c.id));
        expect(fernetDecrypt(newKey, after.get(c.id)!).toString('utf8')).toBe(JSON.stringify(FAKE_CREDENTIALS[vendor]));
      }
      const again = await reencryptIntegrationCredentials(h.integrations);
      expect(again).toMatchObject({ rewritten: 0, unreadable: [] });
      expect(await rows()).toEqual(after);

      // Runbook step 3: the old key leaves the ring; every integration still probes.
      installLocalSettings(newKey);
      await handleProbeMessage(probeDepsFor(h, new RecordingBus()), recheckDelivery(second.tenantId, created[2]!.id));
      expect((await h.health.status.get(second.tenantId, created[2]!.id))?.value.state).toBe('connected');

      // A re-encryption that outlasts one call's time budget continues from nextCursor: with the
      // budget spent at once every call scans one page (here one integration) and hands back the rest.
      const newest = generateFernetKey();
      installLocalSettings(`${newest},${newKey}`);
      const spent = { budgetMs: 0, page: 1 };
      let cursor: string | undefined;
      let calls = 0;
      let rewritten = 0;
      do {
        const page = await reencryptIntegrationCredentials(h.integrations, { cursor, limits: spent });
        calls++;
        expect(page.scanned).toBeLessThanOrEqual(1);
        rewritten += page.rewritten;
        cursor = page.nextCursor ?? undefined;
      } while (cursor && calls < 1000);
      expect(cursor).toBeUndefined();
      expect(calls).toBeGreaterThan(created.length);
      expect(rewritten).toBeGreaterThanOrEqual(created.length);
      const rotatedAgain = await rows();
      for (const c of created) {
        expect(fernetDecrypt(newest, rotatedAgain.get(c.id)!).toString('utf8')).toBe(
          JSON.stringify(FAKE_CREDENTIALS[c.vendor]),
        );
      }
      await expect(
        reencryptIntegrationCredentials(h.integrations, { cursor: 'not-a-cursor-we-issued' }),
      ).rejects.toMatchObject({ code: 'invalid_cursor' });
    } finally {
      keyRing = installLocalSettings(oldKey);
    }
  });
});
