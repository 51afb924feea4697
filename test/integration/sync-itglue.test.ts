import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { installClock, ManualClock } from '../../shared/clock/index';
import { handleSyncPage } from '../../shared/sync/engine';
import { getSyncedRecord } from '../../shared/sync/record-list';
import { getSyncRun, startSync } from '../../shared/sync/runs';
import { FAKE_ITGLUE_CREDENTIALS, ItGlueFake } from '../fakes/itglue';
import { installLocalSettings } from '../support/local-settings';
import { countSynced, createSyncIntegration, drainSync, syncBody, syncSetup } from '../support/sync-harness';

/**
 * The sync engine against the fake IT Glue over loopback and the suite's Azurite (docs/sync.md,
 * "IT Glue"): organisations, contacts and configurations page by JSON:API `page[number]`; a
 * re-run only skips; incremental organisations ask IT Glue for `filter[updated_at]`; a 429 waits
 * for Retry-After on the clock; the fake refuses what IT Glue's reference does not allow.
 */

let itglue: ItGlueFake;
let restoreClock: (() => void) | undefined;
const clock = new ManualClock(Date.UTC(2026, 5, 1));

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  itglue = new ItGlueFake();
  await itglue.start();
});

afterAll(async () => {
  restoreClock?.();
  await itglue.stop();
});

const integration = (caller: Principal) =>
  createSyncIntegration(caller, 'itglue', { ...FAKE_ITGLUE_CREDENTIALS }, { baseUrl: itglue.baseUrl });

describe('sync engine: IT Glue', () => {
  it('a full run pages organisations, contacts and configurations; a re-run only skips; nothing is written to IT Glue', async () => {
    itglue.reset();
    itglue.listings.seed('organizations', 120);
    itglue.listings.seed('contacts', 30);
    itglue.listings.seed('configurations', 45);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, syncBody(['clients', 'contacts', 'assets'], 'full', 50), {
      correlationId: 'itg1',
    });
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    expect(done).toMatchObject({ status: 'succeeded', counts: { created: 195, updated: 0, skipped: 0, failed: 0 } });
    // organisations 3 pages of 50, contacts 1, configurations 1
    expect(done.pagesCommitted).toBe(5);
    expect(await countSynced(deps, caller, integrationId, 'clients')).toBe(120);
    expect(await countSynced(deps, caller, integrationId, 'contacts')).toBe(30);
    expect(await countSynced(deps, caller, integrationId, 'assets')).toBe(45);
    const org = await getSyncedRecord(deps, caller, 'clients', integrationId, '42');
    expect(org.fields).toMatchObject({ id: '42', type: 'organizations', name: 'Organisation 42' });
    const contact = await getSyncedRecord(deps, caller, 'contacts', integrationId, '7');
    expect(contact.fields).toMatchObject({ 'first-name': 'First7', 'organization-id': 2 });
    expect(itglue.received('GET', '/organizations')[1]?.query).toMatchObject({
      'page[number]': '2',
      'page[size]': '50',
      sort: 'id',
    });
    expect(itglue.refusals).toEqual([]);

    const again = await startSync(deps, caller, integrationId, syncBody(['clients', 'contacts', 'assets'], 'full'), {
      correlationId: 'itg2',
    });
    await drainSync(deps, bus);
    expect((await getSyncRun(deps, caller, again.id)).counts).toEqual({
      created: 0,
      updated: 0,
      skipped: 195,
      failed: 0,
    });
    // The hub never writes to IT Glue.
    expect(itglue.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('incremental organisations ask IT Glue for filter[updated_at] from the watermark to a fixed end', async () => {
    itglue.reset();
    itglue.listings.seed('organizations', 60);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await integration(caller);
    await startSync(deps, caller, integrationId, syncBody(['clients'], 'full'), { correlationId: 'itg3' });
    await drainSync(deps, bus);
    itglue.listings.touch('organizations', 5, { name: 'Renamed Ltd' }, new Date(Date.UTC(2026, 4, 1)));
    itglue.listings.touch('organizations', 9, { name: 'Moved On plc' }, new Date(Date.UTC(2026, 4, 2)));
    const inc = await startSync(deps, caller, integrationId, syncBody(['clients'], 'incremental', 1), {
      correlationId: 'itg4',
    });
    const watermark = new Date(Date.UTC(2026, 0, 1) + 60_000).toISOString();
    expect(inc.since).toEqual({ clients: watermark });
    await drainSync(deps, bus);
    const run = await getSyncRun(deps, caller, inc.id);
    // The record at the watermark itself (unchanged: skipped) and the two changed ones, one a page.
    expect(run).toMatchObject({ status: 'succeeded', counts: { created: 0, updated: 2, skipped: 1, failed: 0 } });
    const calls = itglue.received('GET', '/organizations').slice(-3);
    const end = new Date(clock.now()).toISOString();
    for (const call of calls) {
      expect(call.query).toMatchObject({ 'filter[updated_at]': `${watermark},${end}`, sort: 'updated_at' });
    }
    expect(calls.map((c) => c.query['page[number]'])).toEqual(['1', '2', '3']);
    expect((await getSyncedRecord(deps, caller, 'clients', integrationId, '9')).fields.name).toBe('Moved On plc');
    expect(itglue.refusals).toEqual([]);
  });

  it('a 429 re-schedules the page after Retry-After; data-quality problems become warnings', async () => {
    itglue.reset();
    itglue.listings.seed('configurations', 12);
    itglue.listings.flaw('configurations', 3, { name: null });
    itglue.listings.flaw('configurations', 4, { name: 'Caf\uFFFD server' });
    const { caller, bus, deps } = syncSetup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, syncBody(['assets'], 'full'), { correlationId: 'itg5' });
    itglue.injectFault(
      { kind: 'status', status: 429, headers: { 'Retry-After': '11' } },
      { path: '/configurations', times: 1 },
    );
    await handleSyncPage(deps, bus.take()!);
    expect(bus.sent).toHaveLength(1);
    expect(bus.sent[0]?.options.scheduledEnqueueTimeUtc?.getTime()).toBe(clock.now() + 11_000);
    expect(bus.sent[0]?.body).toMatchObject({ page: 0, retry: 1 });
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    expect(done).toMatchObject({ status: 'succeeded', counts: { created: 12 } });
    expect(done.warnings).toEqual(
      expect.arrayContaining([
        { entity: 'assets', kind: 'null_value', field: 'name', count: 1, examples: ['3'] },
        { entity: 'assets', kind: 'encoding', field: 'name', count: 1, examples: ['4'] },
      ]),
    );
  });

  it('the fake refuses what IT Glue does not allow: a page over 1000, an unknown filter, a bad range', async () => {
    itglue.reset();
    itglue.listings.seed('contacts', 3);
    const get = (query: string) =>
      fetch(`${itglue.baseUrl}/contacts?${query}`, { headers: { 'x-api-key': FAKE_ITGLUE_CREDENTIALS.apiKey } });
    expect((await get('page[size]=1001')).status).toBe(400);
    expect((await get('filter[updated_at]=2026-01-01T00:00:00Z,*')).status).toBe(400); // contacts have no such filter
    expect((await get('sort=updated-at')).status).toBe(400);
    const organisations = await fetch(`${itglue.baseUrl}/organizations?filter[updated_at]=yesterday`, {
      headers: { 'x-api-key': FAKE_ITGLUE_CREDENTIALS.apiKey },
    });
    expect(organisations.status).toBe(400);
    expect(await organisations.json()).toMatchObject({ errors: [{ status: '400' }] });
    expect(itglue.refusals).toHaveLength(4);
    expect((await get('page[size]=1000&sort=-updated_at&filter[organization_id]=2')).status).toBe(200);
    expect(itglue.refusals).toHaveLength(4);
  });

  it('a refused listing ends the run failed with the vendor code, and nothing is stored', async () => {
    itglue.reset();
    itglue.listings.seed('organizations', 3);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, syncBody(['clients'], 'full'), { correlationId: 'itg6' });
    itglue.injectFault(
      { kind: 'status', status: 400, body: { errors: [{ status: '400', title: 'Bad Request', detail: 'nope' }] } },
      { path: '/organizations', times: 1 },
    );
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    expect(done.status).toBe('failed');
    expect(done.errors[0]).toMatchObject({ entity: 'clients' });
    expect(await countSynced(deps, caller, integrationId, 'clients')).toBe(0);
  });
});
