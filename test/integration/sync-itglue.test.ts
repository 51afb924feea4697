import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import type { BusSender, ReceivedMessage, SendOptions } from '../../shared/bus/port';
import { installClock, ManualClock } from '../../shared/clock/index';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/integrations';
import type { SyncEntity } from '../../shared/sync/adapter';
import { syncDeps } from '../../shared/sync/deps';
import { handleSyncPage } from '../../shared/sync/engine';
import { getSyncedRecord, listSyncedRecords } from '../../shared/sync/record-list';
import { getSyncRun, type SyncDeps, startSync } from '../../shared/sync/runs';
import { FAKE_ITGLUE_CREDENTIALS, ItGlueFake } from '../fakes/itglue';
import { installLocalSettings } from '../support/local-settings';

/**
 * The sync engine against the fake IT Glue over loopback and the suite's Azurite (docs/sync.md,
 * "IT Glue"): organisations, contacts and configurations page by JSON:API `page[number]`; a
 * re-run only skips; incremental organisations ask IT Glue for `filter[updated_at]`; a 429 waits
 * for Retry-After on the clock; the fake refuses what IT Glue's reference does not allow.
 */

class RecordingBus implements BusSender {
  readonly sent: { queue: string; body: unknown; options: SendOptions }[] = [];
  private readonly ids = new Set<string>();
  async send(queue: string, body: unknown, options: SendOptions): Promise<void> {
    if (this.ids.has(options.messageId)) return;
    this.ids.add(options.messageId);
    this.sent.push({ queue, body, options });
  }
  take(): ReceivedMessage | undefined {
    const next = this.sent.shift();
    if (!next) return undefined;
    return {
      body: next.body,
      messageId: next.options.messageId,
      deliveryCount: 1,
      enqueuedTimeUtc: new Date(),
      applicationProperties: {},
    };
  }
}

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

function setup() {
  const caller: Principal = { tenantId: `tn-${randomUUID().slice(0, 8)}`, keyId: 'key1', scopes: ['admin'] };
  const bus = new RecordingBus();
  const deps: SyncDeps = { ...syncDeps(), bus };
  return { caller, bus, deps };
}

async function integration(caller: Principal): Promise<string> {
  const created = await createIntegration(
    integrationDeps(),
    caller,
    {
      vendor: 'itglue',
      name: 'IT Glue',
      credentials: { ...FAKE_ITGLUE_CREDENTIALS },
      config: { baseUrl: itglue.baseUrl },
    },
    { skipTest: true, correlationId: 'setup' },
  );
  return created.id;
}

async function drain(deps: SyncDeps, bus: RecordingBus): Promise<void> {
  for (let next = bus.take(); next; next = bus.take())
    expect(await handleSyncPage(deps, next)).toEqual({ kind: 'complete' });
}

function body(entities: SyncEntity[], mode: 'full' | 'incremental', batchSize = 100) {
  return {
    entities,
    mode,
    batchSize,
    filters: { ticketStatus: 'all' as const, includeInactive: true },
    schedule: true,
    debug: false,
  };
}

async function countAll(deps: SyncDeps, caller: Principal, integrationId: string, entity: SyncEntity) {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await listSyncedRecords(deps, caller, entity, {
      integrationId,
      limit: 500,
      ...(cursor ? { cursor } : {}),
    });
    for (const item of page.items) ids.add(item.id);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids.size;
}

describe('sync engine: IT Glue', () => {
  it('a full run pages organisations, contacts and configurations; a re-run only skips; nothing is written to IT Glue', async () => {
    itglue.reset();
    itglue.listings.seed('organizations', 120);
    itglue.listings.seed('contacts', 30);
    itglue.listings.seed('configurations', 45);
    const { caller, bus, deps } = setup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, body(['clients', 'contacts', 'assets'], 'full', 50), {
      correlationId: 'itg1',
    });
    await drain(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    expect(done).toMatchObject({ status: 'succeeded', counts: { created: 195, updated: 0, skipped: 0, failed: 0 } });
    // organisations 3 pages of 50, contacts 1, configurations 1
    expect(done.pagesCommitted).toBe(5);
    expect(await countAll(deps, caller, integrationId, 'clients')).toBe(120);
    expect(await countAll(deps, caller, integrationId, 'contacts')).toBe(30);
    expect(await countAll(deps, caller, integrationId, 'assets')).toBe(45);
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

    const again = await startSync(deps, caller, integrationId, body(['clients', 'contacts', 'assets'], 'full'), {
      correlationId: 'itg2',
    });
    await drain(deps, bus);
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
    const { caller, bus, deps } = setup();
    const integrationId = await integration(caller);
    await startSync(deps, caller, integrationId, body(['clients'], 'full'), { correlationId: 'itg3' });
    await drain(deps, bus);
    itglue.listings.touch('organizations', 5, { name: 'Renamed Ltd' }, new Date(Date.UTC(2026, 4, 1)));
    itglue.listings.touch('organizations', 9, { name: 'Moved On plc' }, new Date(Date.UTC(2026, 4, 2)));
    const inc = await startSync(deps, caller, integrationId, body(['clients'], 'incremental', 1), {
      correlationId: 'itg4',
    });
    const watermark = new Date(Date.UTC(2026, 0, 1) + 60_000).toISOString();
    expect(inc.since).toEqual({ clients: watermark });
    await drain(deps, bus);
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
    const { caller, bus, deps } = setup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, body(['assets'], 'full'), { correlationId: 'itg5' });
    itglue.injectFault(
      { kind: 'status', status: 429, headers: { 'Retry-After': '11' } },
      { path: '/configurations', times: 1 },
    );
    await handleSyncPage(deps, bus.take()!);
    expect(bus.sent).toHaveLength(1);
    expect(bus.sent[0]?.options.scheduledEnqueueTimeUtc?.getTime()).toBe(clock.now() + 11_000);
    expect(bus.sent[0]?.body).toMatchObject({ page: 0, retry: 1 });
    await drain(deps, bus);
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
    const { caller, bus, deps } = setup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, body(['clients'], 'full'), { correlationId: 'itg6' });
    itglue.injectFault(
      { kind: 'status', status: 400, body: { errors: [{ status: '400', title: 'Bad Request', detail: 'nope' }] } },
      { path: '/organizations', times: 1 },
    );
    await drain(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    expect(done.status).toBe('failed');
    expect(done.errors[0]).toMatchObject({ entity: 'clients' });
    expect(await countAll(deps, caller, integrationId, 'clients')).toBe(0);
  });
});
