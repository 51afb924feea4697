import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock/index';
import { listConflicts, resolveConflict } from '../../shared/entities/conflicts';
import { listContacts, matchContacts, resyncContact } from '../../shared/entities/contacts';
import { entityDeps } from '../../shared/entities/deps';
import { autotaskContacts } from '../../shared/entities/sources/autotask-contacts';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { withAutotaskContacts, withHaloUserWrites } from '../fakes/entity-contacts';
import { createHaloFake, type HaloFakeServer } from '../fakes/halopsa';
import { ItGlueFake } from '../fakes/itglue';
import { M365FakeServer } from '../fakes/microsoft365';
import { createPax8Fake, PAX8_FAKE_COMPANY_ID, type Pax8Fake } from '../fakes/pax8';
import { connectFourProducts, recordingEntityDeps } from '../support/entity-harness';
import { installLocalSettings } from '../support/local-settings';
import { createSyncIntegration, syncSetup } from '../support/sync-harness';

/**
 * Contacts from every product (docs/entity-sync.md, "Products"): one person held by Halo PSA (a
 * user), IT Glue (a contact), Pax8 (a company's contact) and Microsoft 365 (a user of the signed-in
 * tenant) becomes one canonical contact, matched by e-mail. When Halo and IT Glue rename the person
 * differently there is a conflict; resolving it with IT Glue's version writes Halo and Pax8 (the
 * writable ones) and nothing but reads reach IT Glue and Graph, as their request logs show.
 */

let halo: HaloFakeServer;
let itglue: ItGlueFake;
let pax8: Pax8Fake;
let graph: M365FakeServer;
let autotask: AutotaskFake;
let restoreClock: (() => void) | undefined;
const clock = new ManualClock(Date.UTC(2026, 5, 1));
const PAX8_CONTACT = 'd2b0e8a2-0000-4000-8000-0000000000c1';
const GRAPH_USER = '7f8b768e-07e2-4810-8459-485f84f8f2aa';
// Halo's seeded user 1 (test/fakes/halopsa-listing.ts): the others hold the same person.
const EMAIL = 'user1@client13.example';
const PHONE = '+44 20 7946 0001';

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  halo = withHaloUserWrites(createHaloFake());
  itglue = new ItGlueFake();
  pax8 = createPax8Fake();
  graph = new M365FakeServer();
  autotask = new AutotaskFake();
  await Promise.all([halo.start(), itglue.start(), pax8.start(), graph.start(), autotask.start()]);
});

afterAll(async () => {
  restoreClock?.();
  await Promise.all([halo.stop(), itglue.stop(), pax8.stop(), graph.stop(), autotask.stop()]);
});

describe('entity sync: contacts from IT Glue, Pax8 and Microsoft 365', () => {
  it('one person in four products is one contact; a conflict resolved writes Halo and Pax8, never IT Glue or Graph', async () => {
    halo.listings.seed('users', 1);
    itglue.listings.seed('contacts', 1);
    itglue.listings.flaw('contacts', 1, {
      'first-name': 'User',
      'last-name': '1',
      'contact-emails': [
        { value: 'old@client13.example', primary: false },
        { value: EMAIL, primary: true },
      ],
      'contact-phones': [{ value: PHONE, primary: true }],
    });
    pax8.contacts = {
      [PAX8_FAKE_COMPANY_ID]: [{ id: PAX8_CONTACT, firstName: 'User', lastName: '1', email: EMAIL, phone: PHONE }],
    };
    const graphUser = {
      id: GRAPH_USER,
      displayName: 'User 1',
      userPrincipalName: 'user1@fake.onmicrosoft.com',
      accountEnabled: true,
      mail: EMAIL,
      businessPhones: [PHONE],
    };
    graph.users = [...graph.users, graphUser];
    const { caller } = syncSetup();
    const { deps, published } = recordingEntityDeps();
    const { haloId, itglueId, pax8Id, graphId } = await connectFourProducts(caller, { halo, itglue, pax8, graph });

    // Graph's directory holds Adele Vance too: a contact of her own.
    expect(await matchContacts(deps, caller, 'c1')).toMatchObject({ created: 2, linked: 3, flagged: 0 });
    const contacts = (await listContacts(deps, caller, { limit: 10 })).items;
    const person = contacts.find((c) => c.values.email === EMAIL)!;
    expect(person.links.map((l) => l.integrationId).sort()).toEqual([haloId, itglueId, pax8Id, graphId].sort());
    expect(person.links.find((l) => l.integrationId === pax8Id)?.vendorId).toBe(
      `${PAX8_FAKE_COMPANY_ID}/${PAX8_CONTACT}`,
    );
    expect(person.values).toEqual({ name: 'User 1', email: EMAIL, phone: PHONE });

    halo.listings.touch('users', 1, { name: 'Usera One' }, new Date(Date.UTC(2026, 4, 1)));
    itglue.listings.touch(
      'contacts',
      1,
      { 'first-name': 'Ursula', 'last-name': 'One' },
      new Date(Date.UTC(2026, 4, 2)),
    );
    const haloReadsBefore = halo.requests.length;
    const resync = await resyncContact(deps, caller, person.id, 'c2');
    // Halo's user is read by id, not found by walking the list.
    const haloReads = halo.requests
      .slice(haloReadsBefore)
      .filter((r) => r.method === 'GET' && r.path.startsWith('/api/'));
    expect(haloReads.map((r) => r.path)).toEqual(['/api/Users/1']);
    expect(resync.conflicts).toHaveLength(1);
    expect(resync.writtenTo).toEqual([]);
    const open = await listConflicts(deps, caller, { status: 'open', limit: 10 });
    expect(open.items).toHaveLength(1);

    const resolved = await resolveConflict(deps, caller, open.items[0]!.id, { integrationId: itglueId }, 'c3');
    expect(resolved.writtenTo.sort()).toEqual([haloId, pax8Id].sort());
    expect(halo.listings.record('users', 1)).toMatchObject({ name: 'Ursula One', firstname: 'Ursula', surname: 'One' });
    // Pax8's PUT carries the whole Contact: the name changed, e-mail and phone sent back as read.
    expect(
      pax8.received('PUT', `/v1/companies/${PAX8_FAKE_COMPANY_ID}/contacts/${PAX8_CONTACT}`).map((r) => r.json),
    ).toEqual([{ firstName: 'Ursula', lastName: 'One', email: EMAIL, phone: PHONE }]);
    expect(pax8.contacts[PAX8_FAKE_COMPANY_ID]![0]).toMatchObject({ firstName: 'Ursula', lastName: 'One' });
    // Read only: IT Glue and Graph saw nothing but reads (and Graph's token request).
    expect(itglue.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(graph.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/oauth2/v2.0/token'))).toEqual([]);
    expect([...itglue.refusals, ...pax8.refusals, ...halo.refusals, ...graph.refusals]).toEqual([]);
    expect(published).toContain('contact.updated');

    // Graph still shows the old name and IT Glue the chosen one, and neither is written: the next
    // resync compares each with what it held, so nothing moves and nothing is written back.
    const again = await resyncContact(deps, caller, person.id, 'c4');
    expect(again).toMatchObject({ changedFields: [], conflicts: [], writtenTo: [], unlinked: [] });
    expect(again.contact.values.name).toBe('Ursula One');

    // A change made in a read-only product still reaches the writable ones.
    graph.users = graph.users.map((u) => (u.id === GRAPH_USER ? { ...u, displayName: 'Ursula One-Smith' } : u));
    const fromGraph = await resyncContact(deps, caller, person.id, 'c5');
    expect(fromGraph).toMatchObject({ changedFields: ['name'], conflicts: [] });
    expect(fromGraph.writtenTo.sort()).toEqual([haloId, pax8Id].sort());
    expect(halo.listings.record('users', 1)).toMatchObject({ name: 'Ursula One-Smith', surname: 'One-Smith' });

    // The contact deleted at Pax8: its read by id answers 404, so the link goes and the rest stay.
    pax8.contacts[PAX8_FAKE_COMPANY_ID] = [];
    const gone = await resyncContact(deps, caller, person.id, 'c6');
    expect(gone).toMatchObject({ unlinked: [pax8Id], deleted: false });
    expect(gone.contact.links.map((l) => l.integrationId).sort()).toEqual([haloId, itglueId, graphId].sort());
  });
});

describe('entity sync: Autotask contacts', () => {
  it('reads every query page by pageDetails.nextPageUrl, not only the first', async () => {
    const rows = withAutotaskContacts(autotask).contacts;
    rows.length = 0;
    for (let id = 1; id <= 5; id++)
      rows.push({ id, companyID: 501, firstName: `First${id}`, lastName: 'Last', emailAddress: `p${id}@x.example` });
    // Pages of two (Autotask's are 500): five contacts take three pages.
    autotask.pageSize = 2;
    const { caller } = syncSetup();
    const integrationId = await createSyncIntegration(
      caller,
      'autotask',
      { ...FAKE_AUTOTASK_CREDENTIALS },
      { baseUrl: autotask.baseUrl },
    );
    const { session } = await entityDeps().openSession(caller.tenantId, integrationId, 'p1');
    const listed = await autotaskContacts.list(session);
    expect(listed.map((c) => c.vendorId)).toEqual(['1', '2', '3', '4', '5']);
    expect(listed[4]).toEqual({
      vendorId: '5',
      values: { name: 'First5 Last', email: 'p5@x.example' },
      companyVendorId: '501',
    });
    expect(autotask.requests.filter((r) => r.path.endsWith('/Contacts/query/next'))).toHaveLength(2);
    expect(autotask.refusals).toEqual([]);
  });
});
