import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { installClock, ManualClock } from '../../shared/clock/index';
import { dattoRmmSites } from '../../shared/entities/sources/datto-rmm-sites';
import type { SyncEntity } from '../../shared/sync/adapter';
import { handleSyncPage } from '../../shared/sync/engine';
import { getSyncedRecord, listSyncedRecords } from '../../shared/sync/record-list';
import { getSyncRun, listSyncRuns, startSync } from '../../shared/sync/runs';
import { runScheduledSyncs } from '../../shared/sync/schedule';
import { connector as rmm } from '../../shared/vendors/datto-rmm';
import { fakeSession } from '../fakes/core/session';
import { DattoRmmFake, dattoRmmFake, FAKE_DATTO_RMM_CREDENTIALS, type FakeRmmRecord } from '../fakes/datto-rmm';
import { installLocalSettings } from '../support/local-settings';
import { createSyncIntegration, drainSync, syncSetup } from '../support/sync-harness';

/**
 * The Datto RMM sync adapter (sites as clients, devices as assets) and the Datto RMM sites
 * company source against the fake Datto RMM over loopback and the suite's Azurite (docs/sync.md,
 * "Datto RMM"). Datto RMM has no last-modified time, so an incremental run re-reads everything and
 * only the changed records are written. The bus is a recorder the test delivers from by hand.
 */

let datto: DattoRmmFake;
let restoreClock: (() => void) | undefined;
const clock = new ManualClock(Date.UTC(2026, 5, 1));

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  datto = new DattoRmmFake();
  await datto.start();
});

afterAll(async () => {
  restoreClock?.();
  await datto.stop();
});

/** Sites 1..sites and devices spread over them; every 50th device deleted. */
function seed(sites: number, devices: number): void {
  datto.sites = Array.from(
    { length: sites },
    (_, i): FakeRmmRecord => ({
      id: i + 1,
      uid: `site-${i + 1}`,
      accountUid: datto.accountUid,
      name: `Site ${i + 1}`,
      description: `Customer ${i + 1}`,
      onDemand: false,
    }),
  );
  datto.devices = Array.from({ length: devices }, (_, i): FakeRmmRecord => {
    const id = i + 1;
    const site = 1 + (id % Math.max(1, sites));
    return {
      id,
      uid: `device-${id}`,
      siteId: site,
      siteUid: `site-${site}`,
      siteName: `Site ${site}`,
      hostname: `HOST-${id}`,
      deviceClass: 'device',
      online: id % 2 === 0,
      deleted: id % 50 === 0,
      lastSeen: '2026-05-01T08:00:00Z',
    };
  });
}

const rmmIntegration = (caller: Principal) =>
  createSyncIntegration(caller, 'datto-rmm', { ...FAKE_DATTO_RMM_CREDENTIALS }, dattoRmmFake.config(datto.baseUrl));

const body = (entities: SyncEntity[], overrides: Record<string, unknown> = {}) => ({
  entities,
  mode: 'full' as const,
  batchSize: 500,
  filters: { ticketStatus: 'all' as const, includeInactive: false },
  schedule: true,
  debug: false,
  ...overrides,
});

const pagesAsked = (path: string) => datto.received('GET', path).map((r) => `${r.query.page}/${r.query.max}`);

describe('sync: Datto RMM', () => {
  it('a full run reads sites and devices 250 a request, two requests an engine page of 500; a re-run only skips', async () => {
    seed(30, 600);
    datto.reset();
    const { caller, bus, deps } = syncSetup();
    const integrationId = await rmmIntegration(caller);
    const started = await startSync(deps, caller, integrationId, body(['assets', 'clients']), { correlationId: 'r1' });
    await drainSync(deps, bus);
    const run = await getSyncRun(deps, caller, started.id);
    // 600 devices less the 12 deleted ones.
    expect(run).toMatchObject({
      status: 'succeeded',
      counts: { created: 30 + 588, updated: 0, skipped: 0, failed: 0 },
    });
    // sites: one page; devices: API pages 0+1, then 2.
    expect(run.pagesCommitted).toBe(3);
    expect(pagesAsked('/api/v2/account/sites')).toEqual(['0/250']);
    expect(pagesAsked('/api/v2/account/devices')).toEqual(['0/250', '1/250', '2/250']);
    expect(datto.refusals).toEqual([]);

    const site = await getSyncedRecord(deps, caller, 'clients', integrationId, 'site-7');
    expect(site.fields).toMatchObject({ id: 7, name: 'Site 7' });
    expect(site.vendorUpdatedAt).toBeNull();
    const ofSite = await listSyncedRecords(deps, caller, 'assets', { integrationId, limit: 1000, clientId: 'site-2' });
    expect(ofSite.items.length).toBe(datto.devices.filter((d) => d.siteUid === 'site-2' && d.deleted !== true).length);

    const again = await startSync(deps, caller, integrationId, body(['clients', 'assets']), { correlationId: 'r2' });
    await drainSync(deps, bus);
    expect((await getSyncRun(deps, caller, again.id)).counts).toEqual({
      created: 0,
      updated: 0,
      skipped: 618,
      failed: 0,
    });
  });

  it('incremental runs have no watermark to start from: a full re-read that writes only what changed', async () => {
    seed(5, 40);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await rmmIntegration(caller);
    await startSync(deps, caller, integrationId, body(['clients', 'assets'], { batchSize: 10 }), {
      correlationId: 'r3',
    });
    await drainSync(deps, bus);
    datto.sites[2]!.name = 'Renamed site';
    datto.devices[4]!.hostname = 'RENAMED-5';
    datto.reset();
    const inc = await startSync(
      deps,
      caller,
      integrationId,
      body(['clients', 'assets'], { batchSize: 10, mode: 'incremental' }),
      { correlationId: 'r4' },
    );
    expect(inc.since).toEqual({});
    await drainSync(deps, bus);
    const run = await getSyncRun(deps, caller, inc.id);
    // 40 devices of which none is deleted (every 50th), so 45 records: 2 changed, 43 skipped.
    expect(run).toMatchObject({ status: 'succeeded', counts: { created: 0, updated: 2, skipped: 43, failed: 0 } });
    expect(pagesAsked('/api/v2/account/devices')).toEqual(['0/10', '1/10', '2/10', '3/10']);
    expect((await getSyncedRecord(deps, caller, 'clients', integrationId, 'site-3')).fields.name).toBe('Renamed site');
  });

  it('the timer schedules Datto RMM once a run has succeeded, though its records leave no watermark', async () => {
    seed(3, 5);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await rmmIntegration(caller);
    const target = { tenantId: caller.tenantId, integrationId, vendor: 'datto-rmm' };
    const timer = () =>
      runScheduledSyncs({
        ...deps,
        everyIntegration: async function* () {
          yield target;
        },
        tenantIsActive: async () => true,
      });
    const first = await startSync(deps, caller, integrationId, body(['clients', 'assets']), { correlationId: 't1' });
    // Still running: nothing is due.
    expect((await timer()).started).toBe(0);
    await drainSync(deps, bus);
    expect((await getSyncRun(deps, caller, first.id)).status).toBe('succeeded');
    expect(await timer()).toEqual({ started: 1, resent: 0, skippedDisabled: 0 });
    const runs = (await listSyncRuns(deps, caller, { limit: 10, integrationId })).items;
    expect(runs[0]).toMatchObject({ mode: 'incremental', status: 'running', since: {} });
    expect([...runs[0]!.entities].sort()).toEqual(['assets', 'clients']);
    await drainSync(deps, bus);
  });

  it('a 429 with Retry-After sends the same page again after the wait; data-quality problems become warnings', async () => {
    seed(4, 6);
    datto.sites[1]!.name = null;
    datto.devices[2]!.hostname = '';
    datto.devices.push({ id: 99, siteId: 1, siteUid: 'site-1', hostname: 'NO-UID' });
    const { caller, bus, deps } = syncSetup();
    const integrationId = await rmmIntegration(caller);
    const run = await startSync(deps, caller, integrationId, body(['clients', 'assets'], { batchSize: 100 }), {
      correlationId: 'r5',
    });
    datto.injectFault(
      { kind: 'status', status: 429, headers: { 'Retry-After': '5' }, body: { message: 'Too many requests' } },
      { path: '/api/v2/account/sites', times: 1 },
    );
    await handleSyncPage(deps, bus.take()!);
    expect(bus.sent).toHaveLength(1);
    expect(bus.sent[0]?.options.scheduledEnqueueTimeUtc?.getTime()).toBe(clock.now() + 5000);
    expect(bus.sent[0]?.body).toMatchObject({ page: 0, retry: 1 });
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    expect(done).toMatchObject({ status: 'succeeded', counts: { created: 4 + 6, failed: 1 } });
    expect(done.warnings).toEqual(
      expect.arrayContaining([
        { entity: 'clients', kind: 'null_value', field: 'name', count: 1, examples: ['site-2'] },
        { entity: 'assets', kind: 'null_value', field: 'hostname', count: 1, examples: ['device-3'] },
        expect.objectContaining({ entity: 'assets', kind: 'missing_id', field: 'uid', count: 1 }),
      ]),
    );
  });

  it('filters Datto RMM cannot apply are applied to each page: one site, deleted devices included', async () => {
    seed(3, 100);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await rmmIntegration(caller);
    const run = await startSync(
      deps,
      caller,
      integrationId,
      body(['assets'], { filters: { ticketStatus: 'all', includeInactive: true, clientId: 2 } }),
      { correlationId: 'r6' },
    );
    await drainSync(deps, bus);
    const expected = datto.devices.filter((d) => d.siteId === 2).length;
    expect(await getSyncRun(deps, caller, run.id)).toMatchObject({
      status: 'succeeded',
      counts: { created: expected },
    });
    // Device 50 and 100 are deleted; 50 % 3 = 2 → site 3, 100 % 3 = 1 → site 2.
    expect((await getSyncedRecord(deps, caller, 'assets', integrationId, 'device-100')).fields.deleted).toBe(true);
  });

  it('the fake refuses what the Datto RMM description refuses: a site update without its name, a page that is not a number', async () => {
    seed(2, 0);
    datto.reset();
    const session = fakeSession('datto-rmm', rmm, FAKE_DATTO_RMM_CREDENTIALS, dattoRmmFake.config(datto.baseUrl));
    await rmm.probe(session);
    const bearer = datto.received('GET', '/api/v2/system/request_rate')[0]!.headers.authorization!;
    const noName = await fetch(`${datto.baseUrl}/api/v2/site/site-1`, {
      method: 'POST',
      headers: { authorization: bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'no name' }),
    });
    expect(noName.status).toBe(400);
    expect(((await noName.json()) as { message: string }).message).toMatch(/body\.name is required/);
    const notANumber = await fetch(`${datto.baseUrl}/api/v2/account/sites?page=first&max=10`, {
      headers: { authorization: bearer },
    });
    expect(notANumber.status).toBe(400);
    expect(datto.refusals).toHaveLength(2);
    expect(datto.sites[0]).toMatchObject({ name: 'Site 1', description: 'Customer 1' });
  });

  it('sites are an entity-sync company source: listed, read by uid, renamed with their other fields kept', async () => {
    seed(3, 0);
    datto.reset();
    const session = fakeSession('datto-rmm', rmm, FAKE_DATTO_RMM_CREDENTIALS, dattoRmmFake.config(datto.baseUrl));
    expect(dattoRmmSites.writable).toBe(true);
    expect(await dattoRmmSites.list(session)).toEqual([
      { vendorId: 'site-1', values: { name: 'Site 1' } },
      { vendorId: 'site-2', values: { name: 'Site 2' } },
      { vendorId: 'site-3', values: { name: 'Site 3' } },
    ]);
    expect(await dattoRmmSites.get(session, 'site-2')).toEqual({ vendorId: 'site-2', values: { name: 'Site 2' } });
    expect(await dattoRmmSites.get(session, 'site-404')).toBeUndefined();
    await dattoRmmSites.update(session, 'site-2', { name: 'Site Two Ltd', phone: '+44 1' });
    expect(datto.received('POST', '/api/v2/site/site-2').map((r) => r.json)).toEqual([
      { name: 'Site Two Ltd', description: 'Customer 2', onDemand: false },
    ]);
    expect(datto.sites[1]).toMatchObject({ name: 'Site Two Ltd', description: 'Customer 2' });
    expect(datto.refusals).toEqual([]);
  });
});
