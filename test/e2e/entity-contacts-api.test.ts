import { afterAll, describe, expect, it } from 'vitest';
import { AutotaskFake } from '../fakes/autotask';
import { withAutotaskCompanyWrites, withHaloClientWrites } from '../fakes/entity-companies';
import { withAutotaskContacts, withHaloUserWrites } from '../fakes/entity-contacts';
import { createHaloFake } from '../fakes/halopsa';
import { connectHaloAndAutotask } from '../support/entity-api';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * The contact routes over the local host (docs/entity-sync.md, "Contacts"): match, list, one,
 * compare and resync a contact held by Halo PSA and Autotask; a contact.* subscriber hears of the
 * new contact once; bad input is a problem with a stable code and changes nothing.
 */
const halo = withHaloUserWrites(withHaloClientWrites(createHaloFake()));
const autotask = withAutotaskCompanyWrites(new AutotaskFake());
const contacts = withAutotaskContacts(autotask);
const hosts: HostProcess[] = [];
const receivers: Receiver[] = [];

afterAll(async () => {
  for (const h of hosts) await h.kill();
  for (const r of receivers) await r.close();
  await halo.stop();
  await autotask.stop();
});

describe('entity sync: contacts over the API', () => {
  it('matches a person held by Halo and Autotask into one contact; resync of a contact propagates a change', async () => {
    halo.listings.seed('clients', 1);
    halo.listings.seed('users', 1);
    halo.listings.touch(
      'users',
      1,
      { name: 'Ada Lovelace', emailaddress: 'ada@client1.example', phonenumber: '+44 1', client_id: 1 },
      new Date(Date.UTC(2026, 0, 2)),
    );
    autotask.entities.Companies = [{ id: 501, companyName: 'Client 1', isActive: true }];
    // The fake's Contacts rows are these alone (its default row belongs to another company).
    contacts.contacts.length = 0;
    contacts.contacts.push({
      id: 9001,
      companyID: 501,
      firstName: 'Ada',
      lastName: 'Lovelace',
      emailAddress: 'ada@client1.example',
      phone: '+44 1',
    });
    await halo.start();
    await autotask.start();
    const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', API_RATE_LIMIT_PER_MINUTE: '1000000' });
    const key = env.BOOTSTRAP_API_KEY!;
    const host = await startHostProcess(env);
    hosts.push(host);
    const api = (method: string, path: string, body?: unknown) =>
      call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });
    const receiver = await startReceiver();
    receivers.push(receiver);
    expect((await api('POST', '/api/v1/subscriptions', { url: receiver.url, eventTypes: ['contact.*'] })).status).toBe(
      201,
    );
    await connectHaloAndAutotask(api, { halo, autotask });

    expect((await api('POST', '/api/v1/entities/companies/match')).json).toMatchObject({ created: 1, linked: 1 });
    const matched = await api('POST', '/api/v1/entities/contacts/match');
    expect(matched.status, matched.text).toBe(200);
    expect(matched.json).toEqual({ created: 1, linked: 1, flagged: 0, alreadyLinked: 0 });
    const list = await api('GET', '/api/v1/entities/contacts');
    expect(list.status).toBe(200);
    const items = list.json.items as Array<{ id: string; companyId: string; links: Array<{ vendor: string }> }>;
    expect(items).toHaveLength(1);
    const contactId = items[0]!.id;
    expect(items[0]!.links.map((l) => l.vendor).sort()).toEqual(['autotask', 'halopsa']);
    expect(items[0]!.companyId).toMatch(/^c/);
    const one = await api('GET', `/api/v1/entities/contacts/${contactId}`);
    expect(one.json).toMatchObject({ id: contactId, name: 'Ada Lovelace', values: { email: 'ada@client1.example' } });

    contacts.contacts[0]!.phone = '+44 2';
    const compared = await api('GET', `/api/v1/entities/contacts/${contactId}/compare`);
    expect(compared.status, compared.text).toBe(200);
    expect(compared.json.base).toMatchObject({ phone: '+44 1' });
    const resync = await api('POST', '/api/v1/sync/resync', { entity: 'contact', id: contactId });
    expect(resync.status, resync.text).toBe(200);
    expect(resync.json).toMatchObject({ changedFields: ['phone'], deleted: false, contact: { id: contactId } });
    expect(halo.listings.record('users', 1).phonenumber).toBe('+44 2');

    // Bad input: a problem with a stable code, nothing changed.
    expect((await api('GET', '/api/v1/entities/contacts/p0000')).json.code).toBe('not_found');
    const badKind = await api('POST', '/api/v1/sync/resync', { entity: 'person', id: contactId });
    expect(badKind.status).toBe(400);
    expect(badKind.json.code).toBe('validation_failed');
    expect((await api('POST', '/api/v1/sync/resync', { entity: 'contact', id: 'p0000' })).status).toBe(404);

    // Both deliveries arrive (in either order); the new contact is heard of once.
    await eventually(async () => receiver.received.find((r) => r.body.includes('"contact.updated"')), 30_000);
    await eventually(async () => receiver.received.find((r) => r.body.includes('"contact.created"')), 30_000);
    const created = receiver.received.filter((r) => r.body.includes('"contact.created"'));
    expect(created).toHaveLength(1);
    expect(JSON.parse(created[0]!.body)).toMatchObject({ type: 'contact.created', data: { contactId } });
  }, 150_000);
});
