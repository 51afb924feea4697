import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { installClock, ManualClock } from '../../shared/clock/index';
import { handleSyncPage } from '../../shared/sync/engine';
import { getSyncedRecord } from '../../shared/sync/record-list';
import { getSyncRun, startSync } from '../../shared/sync/runs';
import { createPax8Fake, PAX8_FAKE_CREDENTIALS, type Pax8Fake, pax8Fake } from '../fakes/pax8';
import { installLocalSettings } from '../support/local-settings';
import { countSynced, createSyncIntegration, drainSync, syncBody, syncSetup } from '../support/sync-harness';

/**
 * The sync engine against the fake Pax8 over loopback and the suite's Azurite (docs/sync.md,
 * "Pax8"): companies page by `page`/`size` ≤ 200 (here batches of 50), contacts are read company by company; a re-run
 * only skips, and so does an incremental run for what did not change (Pax8 has no last-updated filter); a 429 waits for
 * Retry-After on the clock; the fake, held to Pax8's description, refuses a size over 200.
 */

let pax8: Pax8Fake;
let restoreClock: (() => void) | undefined;
const clock = new ManualClock(Date.UTC(2026, 5, 1));

const uuid = (prefix: string, n: number) => `${prefix}0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function seedCompanies(count: number, contactsEach: (n: number) => number): void {
  pax8.companies = [];
  pax8.contacts = {};
  for (let n = 1; n <= count; n++) {
    const id = uuid('c', n);
    pax8.companies.push({
      id,
      name: `Company ${n}`,
      status: n % 10 === 0 ? 'Inactive' : 'Active',
      updatedDate: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
    });
    pax8.contacts[id] = Array.from({ length: contactsEach(n) }, (_, i) => ({
      id: uuid('d', n * 1000 + i),
      firstName: `First${n}.${i}`,
      lastName: `Last${n}`,
      email: `c${n}.${i}@example.test`,
      phone: '555-0100',
    }));
  }
}

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  pax8 = createPax8Fake();
  await pax8.start();
});

afterAll(async () => {
  restoreClock?.();
  await pax8.stop();
});

const integration = (caller: Principal) =>
  createSyncIntegration(caller, 'pax8', { ...PAX8_FAKE_CREDENTIALS }, pax8Fake.config(pax8.baseUrl));

describe('sync engine: Pax8', () => {
  it('a full run pages companies and each company’s contacts; a re-run only skips', async () => {
    pax8.reset();
    // Batches of 50: 55 companies are two Pax8 pages (50 and 5); contacts: one for every sixth
    // company, and 60 for company 7 (two contact pages of 50). Each company costs a contacts request.
    seedCompanies(55, (n) => (n === 7 ? 60 : n % 6 === 0 ? 1 : 0));
    const expectedContacts = 60 + 9;
    const { caller, bus, deps } = syncSetup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, syncBody(['clients', 'contacts'], 'full', 50), {
      correlationId: 'p1',
    });
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      counts: { created: 55 + expectedContacts, updated: 0, skipped: 0, failed: 0 },
    });
    expect(await countSynced(deps, caller, integrationId, 'clients')).toBe(55);
    expect(await countSynced(deps, caller, integrationId, 'contacts')).toBe(expectedContacts);
    const contact = await getSyncedRecord(deps, caller, 'contacts', integrationId, uuid('d', 7059));
    expect(contact.fields).toMatchObject({ firstName: 'First7.59', companyId: uuid('c', 7) });
    const companyCalls = pax8.received('GET', '/v1/companies');
    expect(companyCalls.slice(0, 2).map((c) => c.query)).toEqual([
      { page: '0', size: '50' },
      { page: '1', size: '50' },
    ]);
    expect(pax8.received('GET', `/v1/companies/${uuid('c', 7)}/contacts`).map((c) => c.query.page)).toEqual(['0', '1']);
    expect(pax8.refusals).toEqual([]);

    const again = await startSync(deps, caller, integrationId, syncBody(['clients', 'contacts'], 'full', 50), {
      correlationId: 'p2',
    });
    await drainSync(deps, bus);
    expect((await getSyncRun(deps, caller, again.id)).counts).toEqual({
      created: 0,
      updated: 0,
      skipped: 55 + expectedContacts,
      failed: 0,
    });
  });

  it('an incremental run is a full re-read (Pax8 has no last-updated filter): unchanged companies are skipped, a changed one updated', async () => {
    pax8.reset();
    seedCompanies(5, () => 0);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await integration(caller);
    await startSync(deps, caller, integrationId, syncBody(['clients'], 'full'), { correlationId: 'p4' });
    await drainSync(deps, bus);
    pax8.companies[1] = { ...pax8.companies[1]!, phone: '555-0199', updatedDate: '2026-05-01T00:00:00.000Z' };
    const inc = await startSync(deps, caller, integrationId, syncBody(['clients'], 'incremental'), {
      correlationId: 'p5',
    });
    expect(inc.since).toEqual({ clients: new Date(Date.UTC(2026, 0, 1) + 5000).toISOString() });
    await drainSync(deps, bus);
    expect((await getSyncRun(deps, caller, inc.id)).counts).toEqual({ created: 0, updated: 1, skipped: 4, failed: 0 });
    // The same request as a full run: no watermark parameter exists to send.
    expect(pax8.received('GET', '/v1/companies').at(-1)?.query).toEqual({ page: '0', size: '100' });
  });

  it('inactive companies are left out unless asked for; a 429 waits for Retry-After; data-quality warnings', async () => {
    pax8.reset();
    seedCompanies(20, () => 0);
    pax8.companies[2]!.name = null;
    pax8.companies[3]!.name = 'Caf\uFFFD Ltd';
    const { caller, bus, deps } = syncSetup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, syncBody(['clients'], 'full', 100, false), {
      correlationId: 'p3',
    });
    pax8.injectFault(
      { kind: 'status', status: 429, headers: { 'Retry-After': '5' } },
      { path: '/v1/companies', times: 1 },
    );
    await handleSyncPage(deps, bus.take()!);
    expect(bus.sent).toHaveLength(1);
    expect(bus.sent[0]?.options.scheduledEnqueueTimeUtc?.getTime()).toBe(clock.now() + 5000);
    expect(bus.sent[0]?.body).toMatchObject({ page: 0, retry: 1 });
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    // 20 companies, every tenth Inactive.
    expect(done).toMatchObject({ status: 'succeeded', counts: { created: 18 } });
    expect(pax8.received('GET', '/v1/companies').at(-1)?.query).toMatchObject({ status: 'Active' });
    expect(done.warnings).toEqual(
      expect.arrayContaining([
        { entity: 'clients', kind: 'null_value', field: 'name', count: 1, examples: [uuid('c', 3)] },
        { entity: 'clients', kind: 'encoding', field: 'name', count: 1, examples: [uuid('c', 4)] },
      ]),
    );
  });

  it('the fake refuses what Pax8’s description does not allow: a size over 200, a company id that is no uuid', async () => {
    pax8.reset();
    seedCompanies(1, () => 1);
    const token = await fetch(`${pax8.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        client_id: PAX8_FAKE_CREDENTIALS.clientId,
        client_secret: PAX8_FAKE_CREDENTIALS.clientSecret,
        audience: 'https://api.pax8.com',
        grant_type: 'client_credentials',
      }),
    }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
    const get = (path: string) => fetch(`${pax8.baseUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await get('/v1/companies?page=0&size=201')).status).toBe(400);
    expect((await get(`/v1/companies/${uuid('c', 1)}/contacts?size=500`)).status).toBe(400);
    expect((await get('/v1/companies/not-a-uuid/contacts')).status).toBe(400);
    expect(pax8.refusals).toHaveLength(3);
    expect((await get(`/v1/companies/${uuid('c', 1)}/contacts?page=0&size=200`)).status).toBe(200);
    expect(pax8.refusals).toHaveLength(3);
  });
});
