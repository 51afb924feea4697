import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { installClock, ManualClock } from '../../shared/clock/index';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/integrations';
import { CRASH_AFTER_RECORDS, handleSyncPage } from '../../shared/sync/engine';
import { SYNC_PAGE_QUEUE } from '../../shared/sync/messages';
import { getSyncedRecord } from '../../shared/sync/record-list';
import { getSyncRun, startSync, stopSyncRun } from '../../shared/sync/runs';
import { createHaloFake, HALO_FAKE_CREDENTIALS, type HaloFakeServer } from '../fakes/halopsa';
import { installLocalSettings } from '../support/local-settings';
import { createSyncIntegration, drainSync, syncedIds, syncSetup } from '../support/sync-harness';

/**
 * The sync engine against the fake Halo over loopback and the suite's Azurite (docs/sync.md). The
 * bus is a recorder: each test delivers the page messages itself, so re-deliveries and crashes
 * happen exactly where the test says, with no timing involved.
 */

class CrashForTest extends Error {}

let halo: HaloFakeServer;
let restoreClock: (() => void) | undefined;
const clock = new ManualClock(Date.UTC(2026, 5, 1));

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  halo = createHaloFake();
  await halo.start();
  setCrashHandler((name) => {
    throw new CrashForTest(name);
  });
});

afterAll(async () => {
  restoreClock?.();
  disarmCrashPoints();
  await halo.stop();
});

const haloIntegration = (caller: Principal) =>
  createSyncIntegration(caller, 'halopsa', { ...HALO_FAKE_CREDENTIALS }, { baseUrl: halo.baseUrl });

describe('sync engine: Halo PSA', () => {
  it('a full sync pages clients, open then closed tickets, and assets; a second run only skips', async () => {
    halo.listings.seed('clients', 30);
    halo.listings.seed('tickets', 250);
    halo.listings.seed('assets', 40);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await haloIntegration(caller);
    const started = await startSync(
      deps,
      caller,
      integrationId,
      {
        entities: ['tickets', 'clients', 'assets'],
        mode: 'full',
        batchSize: 100,
        filters: { ticketStatus: 'all', includeInactive: true },
        schedule: true,
        debug: false,
      },
      { correlationId: 'c1' },
    );
    expect(started.status).toBe('running');
    expect(bus.sent[0]?.queue).toBe(SYNC_PAGE_QUEUE);
    await drainSync(deps, bus);
    const run = await getSyncRun(deps, caller, started.id);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toEqual({ created: 30 + 250 + 40, updated: 0, skipped: 0, failed: 0 });
    // clients 1 page, open tickets 2, closed tickets 1, assets 1
    expect(run.pagesCommitted).toBe(5);
    expect(await syncedIds(deps, caller, integrationId, 'tickets', 200)).toEqual({ ids: 250, rows: 250 });
    const ticket = await getSyncedRecord(deps, caller, 'tickets', integrationId, '42');
    expect(ticket.fields).toMatchObject({ id: 42, summary: 'Ticket 42' });
    // Open first: the first ticket page asked Halo for open tickets only.
    const ticketCalls = halo.received('GET', '/api/Tickets');
    expect(ticketCalls[0]?.query).toMatchObject({
      pageinate: 'true',
      page_size: '100',
      page_no: '1',
      open_only: 'true',
    });
    expect(halo.refusals).toEqual([]);

    const again = await startSync(
      deps,
      caller,
      integrationId,
      {
        entities: ['tickets'],
        mode: 'full',
        batchSize: 100,
        filters: { ticketStatus: 'all', includeInactive: false },
        schedule: true,
        debug: false,
      },
      { correlationId: 'c2' },
    );
    await drainSync(deps, bus);
    expect((await getSyncRun(deps, caller, again.id)).counts).toEqual({
      created: 0,
      updated: 0,
      skipped: 250,
      failed: 0,
    });
  });

  it('a page re-delivered after a crash between its records and its commit counts once; a stale copy only re-sends', async () => {
    halo.listings.seed('tickets', 150);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await haloIntegration(caller);
    const started = await startSync(
      deps,
      caller,
      integrationId,
      {
        entities: ['tickets'],
        mode: 'full',
        batchSize: 100,
        filters: { ticketStatus: 'open', includeInactive: false },
        schedule: false,
        debug: false,
      },
      { correlationId: 'c3' },
    );
    const first = bus.take();
    expect(first).toBeDefined();
    armCrashPoint(CRASH_AFTER_RECORDS);
    await expect(handleSyncPage(deps, first!)).rejects.toBeInstanceOf(CrashForTest);
    expect((await getSyncRun(deps, caller, started.id)).pagesCommitted).toBe(0);
    // The bus delivers it again: same records, one commit.
    await handleSyncPage(deps, { ...first!, deliveryCount: 2 });
    expect(bus.sent).toHaveLength(1);
    // A third copy is stale: it re-sends page 1, which the bus drops as a duplicate.
    await handleSyncPage(deps, { ...first!, deliveryCount: 3 });
    expect(bus.sent).toHaveLength(1);
    await drainSync(deps, bus);
    const run = await getSyncRun(deps, caller, started.id);
    // 150 tickets, every fifth closed: 120 open.
    expect(run).toMatchObject({ status: 'succeeded', counts: { created: 120, updated: 0, skipped: 0, failed: 0 } });
    expect(await syncedIds(deps, caller, integrationId, 'tickets', 200)).toEqual({ ids: 120, rows: 120 });
  });

  it('incremental runs read newest first from the watermark and count the changed records as updated', async () => {
    halo.listings.seed('tickets', 120);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await haloIntegration(caller);
    const body = {
      entities: ['tickets' as const],
      mode: 'full' as const,
      batchSize: 50,
      filters: { ticketStatus: 'all' as const, includeInactive: false },
      schedule: true,
      debug: true,
    };
    await startSync(deps, caller, integrationId, body, { correlationId: 'c4' });
    await drainSync(deps, bus);
    halo.listings.touch('tickets', 7, { summary: 'Printer on fire' }, new Date(Date.UTC(2027, 0, 1)));
    halo.listings.touch('tickets', 10, { summary: 'Closed, reopened' }, new Date(Date.UTC(2027, 0, 2)));
    const before = halo.count('GET', '/api/Tickets');
    const inc = await startSync(deps, caller, integrationId, { ...body, mode: 'incremental' }, { correlationId: 'c5' });
    expect(inc.since).toEqual({ tickets: new Date(Date.UTC(2026, 0, 1) + 120_000).toISOString() });
    await drainSync(deps, bus);
    const run = await getSyncRun(deps, caller, inc.id);
    // The two touched tickets, plus the one at the watermark itself (unchanged, so skipped).
    expect(run).toMatchObject({ status: 'succeeded', counts: { created: 0, updated: 2, skipped: 1, failed: 0 } });
    // Open and closed steps: one Halo page each, stopped at the watermark.
    expect(halo.count('GET', '/api/Tickets') - before).toBe(2);
    const calls = halo.received('GET', '/api/Tickets').slice(-2);
    expect(calls[0]?.query).toMatchObject({ order: 'last_update', orderdesc: 'true' });
    expect((await getSyncedRecord(deps, caller, 'tickets', integrationId, '7')).fields.summary).toBe('Printer on fire');
  });

  it('one run per integration and entity; stop ends a run before its next page and frees the lease', async () => {
    halo.listings.seed('tickets', 300);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await haloIntegration(caller);
    const body = {
      entities: ['tickets' as const],
      mode: 'full' as const,
      batchSize: 100,
      filters: { ticketStatus: 'open' as const, includeInactive: false },
      schedule: false,
      debug: false,
    };
    const run = await startSync(deps, caller, integrationId, body, { correlationId: 'c6' });
    await expect(startSync(deps, caller, integrationId, body, { correlationId: 'c7' })).rejects.toMatchObject({
      code: 'sync_already_running',
    });
    await handleSyncPage(deps, bus.take()!);
    expect((await stopSyncRun(deps, caller, run.id)).stopRequested).toBe(true);
    await drainSync(deps, bus);
    const stopped = await getSyncRun(deps, caller, run.id);
    expect(stopped).toMatchObject({ status: 'stopped', pagesCommitted: 1 });
    expect(stopped.finishedAt).not.toBeNull();
    await expect(stopSyncRun(deps, caller, run.id)).rejects.toMatchObject({ code: 'sync_run_finished' });
    // The lease is free again.
    const next = await startSync(deps, caller, integrationId, body, { correlationId: 'c8' });
    expect(next.status).toBe('running');
  });

  it('a 429 re-schedules the same page after Retry-After on the clock; data-quality problems become warnings', async () => {
    halo.listings.seed('tickets', 20);
    halo.listings.flaw('tickets', 3, { summary: null });
    halo.listings.flaw('tickets', 4, { summary: 'Caf\uFFFD order' });
    const { caller, bus, deps } = syncSetup();
    const integrationId = await haloIntegration(caller);
    const run = await startSync(
      deps,
      caller,
      integrationId,
      {
        entities: ['tickets'],
        mode: 'full',
        batchSize: 100,
        filters: { ticketStatus: 'open', includeInactive: false },
        schedule: false,
        debug: false,
      },
      { correlationId: 'c9' },
    );
    halo.injectFault(
      { kind: 'status', status: 429, headers: { 'Retry-After': '7' }, body: { message: 'Too many requests' } },
      { path: '/api/Tickets', times: 1 },
    );
    await handleSyncPage(deps, bus.take()!);
    expect(bus.sent).toHaveLength(1);
    expect(bus.sent[0]?.options.scheduledEnqueueTimeUtc?.getTime()).toBe(clock.now() + 7000);
    expect(bus.sent[0]?.body).toMatchObject({ page: 0, retry: 1 });
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    expect(done).toMatchObject({ status: 'succeeded', counts: { created: 16 } });
    expect(done.warnings).toEqual(
      expect.arrayContaining([
        { entity: 'tickets', kind: 'null_value', field: 'summary', count: 1, examples: ['3'] },
        { entity: 'tickets', kind: 'encoding', field: 'summary', count: 1, examples: ['4'] },
      ]),
    );
  });

  it('vendors without an adapter answer sync_unsupported', async () => {
    const { caller, deps } = syncSetup();
    const created = await createIntegration(
      integrationDeps(),
      caller,
      // Datto EDR holds no companies or contacts: no sync adapter (Halo syncs contacts since decisions §80).
      {
        vendor: 'datto-edr',
        name: 'EDR',
        credentials: { apiToken: 'x'.repeat(40) },
        config: { baseUrl: halo.baseUrl, tokenExpiresAt: '2027-06-01' },
      },
      { skipTest: true, correlationId: 'setup' },
    );
    await expect(
      startSync(
        deps,
        caller,
        created.id,
        {
          entities: ['contacts'],
          mode: 'full',
          batchSize: 100,
          filters: { ticketStatus: 'all', includeInactive: false },
          schedule: false,
          debug: false,
        },
        { correlationId: 'c10' },
      ),
    ).rejects.toMatchObject({ code: 'sync_unsupported' });
  });
});
