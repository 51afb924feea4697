import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { refreshEntitiesAfterSync } from '../../shared/entities/after-sync';
import { listCompanies, matchCompanies, resyncCompany } from '../../shared/entities/companies';
import { listConflicts, resolveConflict } from '../../shared/entities/conflicts';
import { compareContact, listContacts, matchContacts, resyncContact } from '../../shared/entities/contacts';
import { entityDeps } from '../../shared/entities/deps';
import type { EntityDeps } from '../../shared/entities/entity-deps';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/integrations';
import { publishEvent } from '../../shared/outbound/index';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { withAutotaskCompanyWrites, withHaloClientWrites } from '../fakes/entity-companies';
import { type AutotaskContacts, withAutotaskContacts, withHaloUserWrites } from '../fakes/entity-contacts';
import { createHaloFake, HALO_FAKE_CREDENTIALS, type HaloFakeServer } from '../fakes/halopsa';
import { installLocalSettings } from '../support/local-settings';

/**
 * Entity sync of contacts and deletions (docs/entity-sync.md, "Contacts", "Deleted records",
 * "Automatic resync") against the Halo and Autotask fakes over loopback and the suite's Azurite.
 * Publications go through the real outbound publish and are recorded with their keys, so "once per
 * change" is checked on the keys the publish deduplicates on.
 */

let halo: HaloFakeServer;
let autotask: AutotaskFake;
let at: AutotaskContacts;

beforeAll(async () => {
  installLocalSettings();
  halo = withHaloUserWrites(withHaloClientWrites(createHaloFake()));
  autotask = withAutotaskCompanyWrites(new AutotaskFake());
  at = withAutotaskContacts(autotask);
  await halo.start();
  await autotask.start();
});

afterAll(async () => {
  await halo.stop();
  await autotask.stop();
});

interface Published {
  type: string;
  key: string;
  data: Record<string, unknown>;
}

async function setup() {
  const caller: Principal = { tenantId: `tn-${randomUUID().slice(0, 8)}`, keyId: 'key1', scopes: ['admin'] };
  const published: Published[] = [];
  const deps: EntityDeps = {
    ...entityDeps(),
    async publish(tenantId, event) {
      published.push({ type: event.type, key: event.key, data: event.data as Record<string, unknown> });
      return publishEvent(tenantId, event);
    },
  };
  const haloId = (
    await createIntegration(
      integrationDeps(),
      caller,
      { vendor: 'halopsa', name: 'Halo', credentials: { ...HALO_FAKE_CREDENTIALS }, config: { baseUrl: halo.baseUrl } },
      { skipTest: true, correlationId: 'setup' },
    )
  ).id;
  const autotaskId = (
    await createIntegration(
      integrationDeps(),
      caller,
      {
        vendor: 'autotask',
        name: 'Autotask',
        credentials: { ...FAKE_AUTOTASK_CREDENTIALS },
        config: { baseUrl: autotask.baseUrl },
      },
      { skipTest: true, correlationId: 'setup' },
    )
  ).id;
  /** Distinct publications (by the key the outbound publish deduplicates on) of a type. */
  const once = (type: string) => new Set(published.filter((p) => p.type === type).map((p) => p.key)).size;
  return { caller, deps, published, once, haloId, autotaskId };
}

function seedOneCompany() {
  halo.listings.seed('clients', 1);
  halo.listings.touch('clients', 1, { phonenumber: '+44 20 0000 0000' }, new Date(Date.UTC(2026, 0, 2)));
  autotask.entities.Companies = [
    {
      id: 501,
      companyName: 'Client 1',
      phone: '+44 20 0000 0000',
      webAddress: 'https://client1.example',
      isActive: true,
    },
  ];
}

describe('entity sync: contacts', () => {
  it('one person in Halo and Autotask is one contact; an e-mail changed in both is one conflict, resolved into both and published once', async () => {
    seedOneCompany();
    halo.listings.seed('users', 1);
    halo.listings.touch(
      'users',
      1,
      {
        name: 'Ada Lovelace',
        firstname: 'Ada',
        surname: 'Lovelace',
        emailaddress: 'Ada.Lovelace@client1.example',
        phonenumber: '+44 20 1234 0001',
        client_id: 1,
      },
      new Date(Date.UTC(2026, 0, 2)),
    );
    at.contacts.length = 0;
    at.contacts.push(
      {
        id: 9001,
        companyID: 501,
        firstName: 'Ada',
        lastName: 'Lovelace',
        emailAddress: 'Ada.Lovelace@client1.example',
        phone: '+44 20 1234 0001',
      },
      // Same name in the same company, another address: a possible duplicate, never merged.
      { id: 9002, companyID: 501, firstName: 'Ada', lastName: 'Lovelace', emailAddress: 'ada@home.example' },
    );
    const { caller, deps, once, haloId, autotaskId } = await setup();

    expect(await matchCompanies(deps, caller, 'm1')).toMatchObject({ created: 1, linked: 1 });
    expect(await matchContacts(deps, caller, 'm2')).toEqual({ created: 2, linked: 1, flagged: 1, alreadyLinked: 0 });
    expect(await matchContacts(deps, caller, 'm3')).toEqual({ created: 0, linked: 0, flagged: 0, alreadyLinked: 3 });
    const contacts = (await listContacts(deps, caller, { limit: 50 })).items;
    expect(contacts).toHaveLength(2);
    const ada = contacts.find((c) => c.links.length === 2);
    const duplicate = contacts.find((c) => c.links.length === 1);
    expect(ada?.links.map((l) => `${l.vendor}:${l.vendorId}`).sort()).toEqual(['autotask:9001', 'halopsa:1']);
    expect(duplicate).toMatchObject({ possibleDuplicateOf: ada?.id });
    // The canonical company came through the products' company links.
    const company = ada?.companyId;
    expect(company).toMatch(/^c/);
    expect(duplicate?.companyId).toBe(company);
    const contactId = ada!.id;

    // One side changes the phone: it propagates, contact.updated once.
    halo.listings.touch('users', 1, { phonenumber: '+44 20 1234 9999' }, new Date(Date.UTC(2026, 0, 3)));
    const oneSided = await resyncContact(deps, caller, contactId, 'r1');
    expect(oneSided).toMatchObject({ changedFields: ['phone'], conflicts: [], writtenTo: [autotaskId] });
    expect(at.contacts[0]?.phone).toBe('+44 20 1234 9999');
    expect(await resyncContact(deps, caller, contactId, 'r2')).toMatchObject({ changedFields: [], writtenTo: [] });
    expect(once('contact.updated')).toBe(1);

    // Both change the e-mail, differently: one conflict, nothing written.
    halo.listings.touch('users', 1, { emailaddress: 'ada@halo.example' }, new Date(Date.UTC(2026, 0, 4)));
    at.contacts[0]!.emailAddress = 'ada@autotask.example';
    const compared = await compareContact(deps, caller, contactId, 'c1');
    expect(Object.fromEntries(compared.products.map((p) => [p.vendor, p.values.email]))).toEqual({
      halopsa: 'ada@halo.example',
      autotask: 'ada@autotask.example',
    });
    const conflicted = await resyncContact(deps, caller, contactId, 'r3');
    expect(conflicted).toMatchObject({ changedFields: [], writtenTo: [] });
    expect(conflicted.conflicts).toHaveLength(1);
    expect((await resyncContact(deps, caller, contactId, 'r4')).conflicts).toEqual(conflicted.conflicts);
    const open = (await listConflicts(deps, caller, { status: 'open', limit: 50 })).items;
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ kind: 'contact', contactId, entityId: contactId, field: 'email' });
    expect(open[0]).not.toHaveProperty('companyId');

    const resolved = await resolveConflict(deps, caller, open[0]!.id, { integrationId: autotaskId }, 'x1');
    expect([...resolved.writtenTo].sort()).toEqual([haloId, autotaskId].sort());
    expect(halo.listings.record('users', 1).emailaddress).toBe('ada@autotask.example');
    expect(at.contacts[0]?.emailAddress).toBe('ada@autotask.example');
    await expect(resolveConflict(deps, caller, open[0]!.id, { value: 'x' }, 'x2')).rejects.toMatchObject({
      code: 'conflict_resolved',
    });
    expect(await resyncContact(deps, caller, contactId, 'r5')).toMatchObject({ changedFields: [], writtenTo: [] });
    // created twice (Ada and the duplicate), updated twice (the phone, the resolved e-mail).
    expect(once('contact.created')).toBe(2);
    expect(once('contact.updated')).toBe(2);
    expect(halo.refusals).toEqual([]);
    expect(autotask.refusals).toEqual([]);
  });

  it('a Halo client deleted at Halo is unlinked; when Autotask drops it too the company is deleted, published once; back again, it is revived', async () => {
    seedOneCompany();
    const { caller, deps, published, once, haloId, autotaskId } = await setup();
    await matchCompanies(deps, caller, 'm1');
    const [hit] = published.filter((p) => p.type === 'company.created');
    const companyId = String(hit?.data.companyId);
    const firstLink = (await listCompanies(deps, caller, { limit: 10 })).items[0]?.links[0];

    halo.listings.remove('clients', 1);
    const unlinked = await resyncCompany(deps, caller, companyId, 'r1');
    expect(unlinked).toMatchObject({ unlinked: [haloId], deleted: false });
    expect(unlinked.company.links.map((l) => l.integrationId)).toEqual([autotaskId]);
    expect(await deps.tables.links.get(caller.tenantId, `${haloId}|1`)).toBeUndefined();
    expect(published.filter((p) => p.type === 'company.updated').map((p) => p.data.changedFields)).toEqual([['links']]);

    // Autotask deletes company 501 (another company stays, so the fake still knows the entity's fields).
    autotask.entities.Companies = [{ id: 777, companyName: 'Someone Else', isActive: true }];
    const gone = await resyncCompany(deps, caller, companyId, 'r2');
    expect(gone).toMatchObject({ unlinked: [autotaskId], deleted: true });
    expect(gone.company.deletedAt).toBeDefined();
    expect(await resyncCompany(deps, caller, companyId, 'r3')).toMatchObject({ unlinked: [], deleted: false });
    expect(once('company.deleted')).toBe(1);

    // The record the company was made from (its first link) comes back: the company, whose id
    // follows from that link, is revived and heard of as created again, once.
    if (firstLink?.vendor === 'halopsa') halo.listings.restore('clients', 1);
    else autotask.entities.Companies.push({ id: 501, companyName: 'Client 1', isActive: true });
    expect((await matchCompanies(deps, caller, 'm2')).created).toBeGreaterThanOrEqual(1);
    const back = await resyncCompany(deps, caller, companyId, 'r4');
    expect(back.company).not.toHaveProperty('deletedAt');
    expect(back.company.links.map((l) => l.integrationId)).toEqual([firstLink?.integrationId]);
    const createdKeys = published.filter((p) => p.type === 'company.created' && p.data.companyId === companyId);
    expect(new Set(createdKeys.map((p) => p.key)).size).toBe(2);
  });

  it('a record its company lists without a link row (a match cut short between the two) gets the row back, not a new company', async () => {
    seedOneCompany();
    const { caller, deps, haloId } = await setup();
    expect(await matchCompanies(deps, caller, 'm1')).toMatchObject({ created: 1, linked: 1 });
    await deps.tables.links.delete(caller.tenantId, `${haloId}|1`);
    expect(await matchCompanies(deps, caller, 'm2')).toEqual({ created: 0, linked: 0, flagged: 0, alreadyLinked: 2 });
    const [company] = (await listCompanies(deps, caller, { limit: 10 })).items;
    expect((await deps.tables.links.get(caller.tenantId, `${haloId}|1`))?.value.companyId).toBe(company?.id);
  });

  it('after a sync run of clients or contacts the integration’s companies and contacts are refreshed', async () => {
    seedOneCompany();
    halo.listings.seed('users', 1);
    halo.listings.touch(
      'users',
      1,
      { name: 'Grace Hopper', emailaddress: 'grace@client1.example', client_id: 1 },
      new Date(Date.UTC(2026, 0, 2)),
    );
    at.contacts.length = 0;
    at.contacts.push({
      id: 9101,
      companyID: 501,
      firstName: 'Grace',
      lastName: 'Hopper',
      emailAddress: 'grace@client1.example',
    });
    const { caller, deps, once, haloId } = await setup();
    await matchCompanies(deps, caller, 'm1');
    await matchContacts(deps, caller, 'm2');

    // Halo changes the client's phone and the user's e-mail; its sync run finishes.
    halo.listings.touch('clients', 1, { phonenumber: '+44 20 5555 5555' }, new Date(Date.UTC(2026, 0, 5)));
    halo.listings.touch('users', 1, { emailaddress: 'grace.hopper@client1.example' }, new Date(Date.UTC(2026, 0, 5)));
    const run = { tenantId: caller.tenantId, integrationId: haloId, correlationId: 'run1' };
    const refreshed = await refreshEntitiesAfterSync(deps, { ...run, entities: ['clients', 'contacts'] });
    expect(refreshed).toEqual({ matched: 0, resynced: 2, failed: 0 });
    expect(autotask.entities.Companies[0]?.phone).toBe('+44 20 5555 5555');
    expect(at.contacts[0]?.emailAddress).toBe('grace.hopper@client1.example');
    // The same run reported twice (a redelivered last page) changes and publishes nothing new.
    await refreshEntitiesAfterSync(deps, { ...run, entities: ['clients', 'contacts'] });
    expect(once('company.updated')).toBe(1);
    expect(once('contact.updated')).toBe(1);
    // A tickets run does not touch entities.
    expect(await refreshEntitiesAfterSync(deps, { ...run, entities: ['tickets'] })).toEqual({
      matched: 0,
      resynced: 0,
      failed: 0,
    });
  });
});
