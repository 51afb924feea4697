import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { installClock, ManualClock } from '../../shared/clock/index';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import type { SyncEntity } from '../../shared/sync/adapter';
import { CRASH_AFTER_RECORDS, handleSyncPage } from '../../shared/sync/engine';
import { getSyncedRecord, listSyncedRecords } from '../../shared/sync/record-list';
import { getSyncRun, startSync } from '../../shared/sync/runs';
import { AutotaskFake, autotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { installLocalSettings } from '../support/local-settings';
import { createSyncIntegration, drainSync, syncedIds, syncSetup } from '../support/sync-harness';

/**
 * The Autotask sync adapter against the fake Autotask over loopback and the suite's Azurite
 * (docs/sync.md, "Autotask"): companies, contacts, open then closed tickets and devices through
 * the query API and its `nextPageUrl`; incremental runs by the last-updated fields; a 429 waited
 * out on the hub's clock; data-quality warnings; and the fake refusing what Autotask refuses.
 * The bus is a recorder the test delivers from by hand, so nothing depends on timing.
 */

class CrashForTest extends Error {}

let autotask: AutotaskFake;
let restoreClock: (() => void) | undefined;
const clock = new ManualClock(Date.UTC(2026, 5, 1));
const BASE_MS = Date.UTC(2026, 0, 1);
const at = (seconds: number) => new Date(BASE_MS + seconds * 1000).toISOString();

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  autotask = new AutotaskFake();
  await autotask.start();
  setCrashHandler((name) => {
    throw new CrashForTest(name);
  });
});

afterAll(async () => {
  restoreClock?.();
  disarmCrashPoints();
  await autotask.stop();
});

/** Rows as Autotask's entities hold them, each changed `id` seconds after BASE_MS. */
function seed(counts: { companies?: number; contacts?: number; tickets?: number; devices?: number }): void {
  const range = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i);
  autotask.entities.Companies = range(counts.companies ?? 0, 1).map((id) => ({
    id,
    companyName: `Company ${id}`,
    companyType: 1,
    isActive: id % 10 !== 0,
    lastActivityDate: at(id),
  }));
  autotask.entities.Contacts = range(counts.contacts ?? 0, 1001).map((id) => ({
    id,
    companyID: 1 + (id % 3),
    firstName: 'Contact',
    lastName: String(id),
    isActive: 1,
    lastModifiedDate: at(id),
  }));
  autotask.entities.Tickets = range(counts.tickets ?? 0, 5001).map((id) => ({
    id,
    title: `Ticket ${id}`,
    companyID: 1 + (id % 3),
    // Every fifth ticket is Complete (status 5).
    status: id % 5 === 0 ? 5 : 1,
    createDate: at(id),
    lastActivityDate: at(id),
  }));
  autotask.entities.ConfigurationItems = range(counts.devices ?? 0, 9001).map((id) => ({
    id,
    companyID: 1 + (id % 3),
    productID: 7,
    configurationItemType: 1 + (id % 2),
    referenceTitle: `Device ${id}`,
    isActive: true,
    lastModifiedTime: at(id),
  }));
}

const autotaskIntegration = (caller: Principal) =>
  createSyncIntegration(caller, 'autotask', { ...FAKE_AUTOTASK_CREDENTIALS }, autotaskFake.config(autotask.baseUrl));

const body = (entities: SyncEntity[], overrides: Record<string, unknown> = {}) => ({
  entities,
  mode: 'full' as const,
  batchSize: 50,
  filters: { ticketStatus: 'all' as const, includeInactive: true },
  schedule: true,
  debug: false,
  ...overrides,
});

describe('sync: Autotask', () => {
  it('a full run pages companies, contacts, open then closed tickets and devices; a re-run only skips', async () => {
    seed({ companies: 30, contacts: 20, tickets: 120, devices: 25 });
    autotask.reset();
    const { caller, bus, deps } = syncSetup();
    const integrationId = await autotaskIntegration(caller);
    const started = await startSync(deps, caller, integrationId, body(['tickets', 'assets', 'clients', 'contacts']), {
      correlationId: 'a1',
    });
    await drainSync(deps, bus);
    const run = await getSyncRun(deps, caller, started.id);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toEqual({ created: 30 + 20 + 120 + 25, updated: 0, skipped: 0, failed: 0 });
    // companies 1 page, contacts 1, open tickets 96 → 2, closed 24 → 1, devices 1
    expect(run.pagesCommitted).toBe(6);
    expect(autotask.refusals).toEqual([]);

    // Open first, then Complete; later pages are GETs of the nextPageUrl Autotask returned.
    const queries = autotask.received('POST', '/ATServicesRest/V1.0/Tickets/query');
    expect(queries.map((q) => q.json)).toEqual([
      { filter: [{ op: 'noteq', field: 'status', value: 5 }], MaxRecords: 50 },
      { filter: [{ op: 'eq', field: 'status', value: 5 }], MaxRecords: 50 },
    ]);
    expect(autotask.count('GET', '/ATServicesRest/V1.0/Tickets/query/next')).toBe(1);
    expect(autotask.received('POST', '/ATServicesRest/V1.0/Companies/query')[0]?.json).toEqual({
      filter: [{ op: 'gte', field: 'id', value: 0 }],
      MaxRecords: 50,
    });

    expect(await syncedIds(deps, caller, integrationId, 'tickets', 1000)).toEqual({ ids: 120, rows: 120 });
    expect(await syncedIds(deps, caller, integrationId, 'contacts', 1000)).toEqual({ ids: 20, rows: 20 });
    const ticket = await getSyncedRecord(deps, caller, 'tickets', integrationId, '5010');
    expect(ticket.fields).toMatchObject({ id: 5010, title: 'Ticket 5010', status: 5 });
    expect(ticket.vendorUpdatedAt).toBe(at(5010));
    const closed = await listSyncedRecords(deps, caller, 'tickets', { integrationId, limit: 1000, statusId: '5' });
    expect(closed.items).toHaveLength(24);
    const inactive = await listSyncedRecords(deps, caller, 'clients', { integrationId, limit: 1000, inactive: 'true' });
    expect(inactive.items.map((c) => c.id).sort()).toEqual(['10', '20', '30']);

    const again = await startSync(deps, caller, integrationId, body(['tickets', 'contacts']), { correlationId: 'a2' });
    await drainSync(deps, bus);
    expect((await getSyncRun(deps, caller, again.id)).counts).toEqual({
      created: 0,
      updated: 0,
      skipped: 140,
      failed: 0,
    });
    expect(await syncedIds(deps, caller, integrationId, 'tickets', 1000)).toEqual({ ids: 120, rows: 120 });
  });

  it('filters become Autotask conditions: active only, one company, a date range of opened tickets', async () => {
    seed({ companies: 12, tickets: 40 });
    autotask.reset();
    const { caller, bus, deps } = syncSetup();
    const integrationId = await autotaskIntegration(caller);
    const started = await startSync(
      deps,
      caller,
      integrationId,
      body(['clients', 'tickets'], {
        filters: { ticketStatus: 'open', includeInactive: false, clientId: 2, from: at(5001), to: at(5020) },
      }),
      { correlationId: 'a3' },
    );
    await drainSync(deps, bus);
    const run = await getSyncRun(deps, caller, started.id);
    // Companies 1..12 less 10 (inactive); tickets 5001..5020 of company 2 (id % 3 === 1) not Complete.
    const expectedTickets = Array.from({ length: 20 }, (_, i) => 5001 + i).filter((id) => id % 3 === 1 && id % 5 !== 0);
    expect(run).toMatchObject({ status: 'succeeded', counts: { created: 11 + expectedTickets.length } });
    expect(autotask.received('POST', '/ATServicesRest/V1.0/Tickets/query')[0]?.json).toEqual({
      filter: [
        { op: 'noteq', field: 'status', value: 5 },
        { op: 'gte', field: 'createDate', value: at(5001) },
        { op: 'lte', field: 'createDate', value: at(5020) },
        { op: 'eq', field: 'companyID', value: 2 },
      ],
      MaxRecords: 50,
    });
    expect(autotask.received('POST', '/ATServicesRest/V1.0/Companies/query')[0]?.json).toMatchObject({
      filter: [{ op: 'eq', field: 'isActive', value: true }],
    });
    expect(autotask.refusals).toEqual([]);
  });

  it('incremental runs ask for records changed since the watermark and count the changed ones as updated', async () => {
    seed({ tickets: 60, contacts: 10 });
    const { caller, bus, deps } = syncSetup();
    const integrationId = await autotaskIntegration(caller);
    await startSync(deps, caller, integrationId, body(['tickets', 'contacts']), { correlationId: 'a4' });
    await drainSync(deps, bus);
    const touch = (list: Record<string, unknown>[], id: number, fields: Record<string, unknown>) =>
      Object.assign(list.find((r) => r.id === id) ?? {}, fields);
    touch(autotask.entities.Tickets, 5007, { title: 'Printer on fire', lastActivityDate: at(90_000) });
    touch(autotask.entities.Tickets, 5010, { status: 1, lastActivityDate: at(90_001) });
    touch(autotask.entities.Contacts, 1003, { lastName: 'Renamed', lastModifiedDate: at(90_002) });
    autotask.reset();
    const inc = await startSync(deps, caller, integrationId, body(['tickets', 'contacts'], { mode: 'incremental' }), {
      correlationId: 'a5',
    });
    expect(inc.since).toEqual({ tickets: at(5060), contacts: at(1010) });
    await drainSync(deps, bus);
    const run = await getSyncRun(deps, caller, inc.id);
    // The three changed records, plus the ones at the watermarks themselves (unchanged, so skipped).
    expect(run).toMatchObject({ status: 'succeeded', counts: { created: 0, updated: 3, skipped: 2, failed: 0 } });
    const openQuery = autotask.received('POST', '/ATServicesRest/V1.0/Tickets/query')[0]?.json;
    expect(openQuery).toEqual({
      filter: [
        { op: 'gte', field: 'lastActivityDate', value: at(5060) },
        { op: 'noteq', field: 'status', value: 5 },
      ],
      MaxRecords: 50,
    });
    expect(autotask.received('POST', '/ATServicesRest/V1.0/Contacts/query')[0]?.json).toMatchObject({
      filter: [{ op: 'gte', field: 'lastModifiedDate', value: at(1010) }],
    });
    expect((await getSyncedRecord(deps, caller, 'tickets', integrationId, '5007')).fields.title).toBe(
      'Printer on fire',
    );
    // The watermark moved to the newest change seen.
    const next = await startSync(deps, caller, integrationId, body(['tickets'], { mode: 'incremental' }), {
      correlationId: 'a6',
    });
    expect(next.since).toEqual({ tickets: at(90_001) });
    await drainSync(deps, bus);
  });

  it('a crash after a next-page read resumes from the stored nextPageUrl and counts the page once', async () => {
    seed({ contacts: 120 });
    autotask.reset();
    const { caller, bus, deps } = syncSetup();
    const integrationId = await autotaskIntegration(caller);
    const run = await startSync(deps, caller, integrationId, body(['contacts']), { correlationId: 'a8' });
    await handleSyncPage(deps, bus.take()!);
    const second = bus.take()!;
    armCrashPoint(CRASH_AFTER_RECORDS);
    await expect(handleSyncPage(deps, second)).rejects.toBeInstanceOf(CrashForTest);
    expect((await getSyncRun(deps, caller, run.id)).pagesCommitted).toBe(1);
    // The bus delivers it again: the same nextPageUrl is read, its records counted once.
    await handleSyncPage(deps, { ...second, deliveryCount: 2 });
    await drainSync(deps, bus);
    expect(await getSyncRun(deps, caller, run.id)).toMatchObject({
      status: 'succeeded',
      pagesCommitted: 3,
      counts: { created: 120, updated: 0, skipped: 0, failed: 0 },
    });
    const nextPages = autotask.received('GET', '/ATServicesRest/V1.0/Contacts/query/next');
    expect(nextPages).toHaveLength(3);
    expect(nextPages[0]?.query).toEqual(nextPages[1]?.query);
    expect(await syncedIds(deps, caller, integrationId, 'contacts', 1000)).toEqual({ ids: 120, rows: 120 });
  });

  it('a 429 with Retry-After sends the same page again after the wait; data-quality problems become warnings', async () => {
    seed({ tickets: 10, companies: 3 });
    const flawed = autotask.entities.Tickets[2]!;
    flawed.title = null;
    autotask.entities.Companies[1]!.companyName = 'Caf\uFFFD Ltd';
    const { caller, bus, deps } = syncSetup();
    const integrationId = await autotaskIntegration(caller);
    const run = await startSync(
      deps,
      caller,
      integrationId,
      body(['clients', 'tickets'], { filters: { ticketStatus: 'open', includeInactive: true } }),
      { correlationId: 'a7' },
    );
    autotask.injectFault(
      { kind: 'status', status: 429, headers: { 'Retry-After': '9' }, body: { errors: ['Too many requests'] } },
      { path: '/ATServicesRest/V1.0/Companies/query', times: 1 },
    );
    await handleSyncPage(deps, bus.take()!);
    expect(bus.sent).toHaveLength(1);
    expect(bus.sent[0]?.options.scheduledEnqueueTimeUtc?.getTime()).toBe(clock.now() + 9000);
    expect(bus.sent[0]?.body).toMatchObject({ page: 0, retry: 1 });
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    // 3 companies; tickets 5001..5010 less 5005 and 5010 (Complete) = 8.
    expect(done).toMatchObject({ status: 'succeeded', counts: { created: 3 + 8, failed: 0 } });
    expect(done.warnings).toEqual(
      expect.arrayContaining([
        { entity: 'tickets', kind: 'null_value', field: 'title', count: 1, examples: [String(flawed.id)] },
        { entity: 'clients', kind: 'encoding', field: 'companyName', count: 1, examples: ['2'] },
      ]),
    );
  });

  it('the fake refuses what Autotask refuses: MaxRecords over 500, an unknown operator, an unknown field', async () => {
    seed({ companies: 2 });
    autotask.reset();
    const headers = {
      'content-type': 'application/json',
      ApiIntegrationCode: FAKE_AUTOTASK_CREDENTIALS.integrationCode,
      UserName: FAKE_AUTOTASK_CREDENTIALS.username,
      Secret: FAKE_AUTOTASK_CREDENTIALS.secret,
    };
    const query = async (search: unknown) => {
      const response = await fetch(`${autotask.baseUrl}/ATServicesRest/V1.0/Companies/query`, {
        method: 'POST',
        headers,
        body: JSON.stringify(search),
      });
      return { status: response.status, body: (await response.json()) as { errors?: string[] } };
    };
    const everything = [{ op: 'gte', field: 'id', value: 0 }];
    const tooMany = await query({ filter: everything, MaxRecords: 501 });
    expect(tooMany.status).toBe(500);
    expect(tooMany.body.errors?.join(' ')).toMatch(/MaxRecords/);
    const badOperator = await query({ filter: [{ op: 'like', field: 'companyName', value: 'x' }] });
    expect(badOperator.status).toBe(500);
    const unknownField = await query({ filter: [{ op: 'eq', field: 'colour', value: 'red' }] });
    expect(unknownField).toEqual({ status: 500, body: { errors: ['Unable to find colour in the Companies entity.'] } });
    const ok = await query({ filter: everything, MaxRecords: 500 });
    expect(ok.status).toBe(200);
    expect(autotask.refusals).toHaveLength(2);
  });
});
