import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { services } from '../../shared/app/services';
import { installClock, ManualClock } from '../../shared/clock/index';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/integrations';
import { syncDeps } from '../../shared/sync/deps';
import { handleSyncPage } from '../../shared/sync/engine';
import { SYNC_PAGE_QUEUE } from '../../shared/sync/messages';
import { getSyncRun, listSyncRuns, type SyncDeps, startSync } from '../../shared/sync/runs';
import { runScheduledSyncs, type ScheduleDeps, STALLED_AFTER_MS } from '../../shared/sync/schedule';
import { TenantDirectory } from '../../shared/tenants/directory';
import { TENANTS_PARTITION, tenantsTable } from '../../shared/tenants/tables';
import { setTenantStatus } from '../../shared/tenants/tenants';
import { createHaloFake, HALO_FAKE_CREDENTIALS, type HaloFakeServer } from '../fakes/halopsa';
import { installLocalSettings } from '../support/local-settings';
import { RecordingBus } from '../support/sync-harness';

/**
 * The sync timer (shared/sync/schedule.ts, docs/sync.md "The timer") on the suite's Azurite and the
 * fake Halo, on a manual clock. The timer's walk over integrations is limited to this file's
 * tenants (the real one walks every tenant of the shared Azurite); everything else is the hub's
 * own: its sync deps, the tenants directory, the page handler. The bus records, and the test
 * delivers the pages itself.
 */

let halo: HaloFakeServer;
let restoreClock: (() => void) | undefined;
const clock = new ManualClock(Date.UTC(2026, 5, 1));

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  halo = createHaloFake();
  await halo.start();
  halo.listings.seed('tickets', 60);
  halo.listings.seed('clients', 10);
});

afterAll(async () => {
  restoreClock?.();
  await halo.stop();
});

interface Target {
  tenantId: string;
  integrationId: string;
  vendor: string;
}

async function tenant(): Promise<Principal> {
  const tenantId = `tn-${randomUUID().slice(0, 8)}`;
  const at = new Date(clock.now()).toISOString();
  await tenantsTable(services().account).insert(TENANTS_PARTITION, tenantId, {
    name: tenantId,
    status: 'active',
    createdAt: at,
    updatedAt: at,
    createdBy: 'test',
  });
  return { tenantId, keyId: 'key1', scopes: ['admin'] };
}

async function haloIntegration(caller: Principal): Promise<string> {
  const created = await createIntegration(
    integrationDeps(),
    caller,
    { vendor: 'halopsa', name: 'Halo', credentials: { ...HALO_FAKE_CREDENTIALS }, config: { baseUrl: halo.baseUrl } },
    { skipTest: true, correlationId: 'setup' },
  );
  return created.id;
}

async function drain(deps: SyncDeps, bus: RecordingBus): Promise<void> {
  for (let next = bus.take(); next; next = bus.take()) await handleSyncPage(deps, next);
}

function scheduleDeps(deps: SyncDeps, targets: Target[], directory: TenantDirectory): ScheduleDeps {
  return {
    ...deps,
    everyIntegration: async function* () {
      yield* targets;
    },
    tenantIsActive: (tenantId) => directory.isActive(tenantId),
  };
}

const fullRun = (entities: ('tickets' | 'clients')[], schedule: boolean) => ({
  entities,
  mode: 'full' as const,
  batchSize: 100,
  filters: { ticketStatus: 'all' as const, includeInactive: false },
  schedule,
  debug: false,
});

describe('sync timer', () => {
  it('starts one incremental run per scheduled integration with a watermark, never a second while it runs', async () => {
    const caller = await tenant();
    const bus = new RecordingBus();
    const deps: SyncDeps = { ...syncDeps(), bus };
    const scheduled = await haloIntegration(caller);
    const unscheduled = await haloIntegration(caller);
    const neverSynced = await haloIntegration(caller);
    await startSync(deps, caller, scheduled, fullRun(['tickets', 'clients'], true), { correlationId: 'c1' });
    await drain(deps, bus);
    await startSync(deps, caller, unscheduled, fullRun(['tickets'], false), { correlationId: 'c2' });
    await drain(deps, bus);
    const targets = [scheduled, unscheduled, neverSynced].map((integrationId) => ({
      tenantId: caller.tenantId,
      integrationId,
      vendor: 'halopsa',
    }));
    const directory = new TenantDirectory(tenantsTable(services().account));

    clock.advance(15 * 60_000);
    const first = await runScheduledSyncs(scheduleDeps(deps, targets, directory));
    expect(first).toEqual({ started: 1, resent: 0, skippedDisabled: 0 });
    // One run of the scheduled integration, covering both its entities, from their watermarks.
    expect(bus.sent).toHaveLength(1);
    const runs = (await listSyncRuns(deps, caller, { limit: 10, integrationId: scheduled })).items;
    const timed = runs[0]!;
    expect(timed).toMatchObject({ status: 'running', mode: 'incremental', batchSize: 100 });
    expect([...timed.entities].sort()).toEqual(['clients', 'tickets']);
    expect(Object.keys(timed.since).sort()).toEqual(['clients', 'tickets']);
    for (const id of [unscheduled, neverSynced])
      expect((await listSyncRuns(deps, caller, { limit: 10, integrationId: id })).items).toHaveLength(
        id === unscheduled ? 1 : 0,
      );

    // The next tick while that run holds the lease starts nothing.
    clock.advance(60_000);
    expect(await runScheduledSyncs(scheduleDeps(deps, targets, directory))).toEqual({
      started: 0,
      resent: 0,
      skippedDisabled: 0,
    });
    expect(bus.sent).toHaveLength(1);

    // Once it has finished, the tick after starts the next one.
    await drain(deps, bus);
    expect((await getSyncRun(deps, caller, timed.id)).status).toBe('succeeded');
    clock.advance(15 * 60_000);
    expect((await runScheduledSyncs(scheduleDeps(deps, targets, directory))).started).toBe(1);
    await drain(deps, bus);
  });

  it("re-sends the current page of a run that made no progress for ten minutes, and skips a disabled tenant's integrations", async () => {
    const caller = await tenant();
    const off = await tenant();
    const bus = new RecordingBus();
    const deps: SyncDeps = { ...syncDeps(), bus };
    const integrationId = await haloIntegration(caller);
    const offIntegration = await haloIntegration(off);
    // A run whose first message was lost (the crash between its row and its send).
    const stalled = await startSync(deps, caller, integrationId, fullRun(['tickets'], true), { correlationId: 'c3' });
    bus.sent.length = 0;
    bus.forgetIds();
    // The disabled tenant's integration synced once and asked for the schedule, and has a stalled run too.
    await startSync(deps, off, offIntegration, fullRun(['clients'], true), { correlationId: 'c4' });
    await drain(deps, bus);
    const offStalled = await startSync(deps, off, offIntegration, fullRun(['tickets'], true), { correlationId: 'c5' });
    bus.sent.length = 0;
    const tenantDeps = {
      table: tenantsTable(services().account),
      directory: new TenantDirectory(tenantsTable(services().account)),
      audit: services().audit,
      issueFirstAdminKey: async () => Promise.reject(new Error('unused')),
    };
    await setTenantStatus(
      tenantDeps,
      { tenantId: '_operator', keyId: 'operator', scopes: ['admin'] },
      off.tenantId,
      'disabled',
      'corr-disable',
    );
    const targets: Target[] = [
      { tenantId: caller.tenantId, integrationId, vendor: 'halopsa' },
      { tenantId: off.tenantId, integrationId: offIntegration, vendor: 'halopsa' },
    ];
    const timerDeps = scheduleDeps(deps, targets, tenantDeps.directory);

    // Not yet stalled: nothing is re-sent, and the running run holds its lease.
    clock.advance(STALLED_AFTER_MS - 1000);
    expect(await runScheduledSyncs(timerDeps)).toEqual({ started: 0, resent: 0, skippedDisabled: 1 });
    expect(bus.sent).toEqual([]);

    clock.advance(2000);
    expect(await runScheduledSyncs(timerDeps)).toEqual({ started: 0, resent: 1, skippedDisabled: 1 });
    expect(bus.sent).toHaveLength(1);
    expect(bus.sent[0]).toMatchObject({
      queue: SYNC_PAGE_QUEUE,
      body: { tenantId: caller.tenantId, runId: stalled.id, page: 0 },
    });
    await drain(deps, bus);
    expect(await getSyncRun(deps, caller, stalled.id)).toMatchObject({
      status: 'succeeded',
      counts: { created: 60 },
    });
    // The disabled tenant's stalled run was left as it was; nothing of it was sent.
    expect(await getSyncRun(deps, off, offStalled.id)).toMatchObject({ status: 'running', pagesCommitted: 0 });
  });
});
