import { afterAll, describe, expect, it } from 'vitest';
import { AutotaskFake } from '../fakes/autotask';
import { withAutotaskCompanyWrites, withHaloClientWrites } from '../fakes/entity-companies';
import { withAutotaskContacts, withHaloUserWrites } from '../fakes/entity-contacts';
import { createHaloFake } from '../fakes/halopsa';
import { connectHaloAndAutotask } from '../support/entity-api';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * Over the local host: synced contacts read from the record store (`GET /api/v1/contacts`, docs/sync.md)
 * and a contact merge and its undo (docs/entity-sync.md, "Merge"). Two canonical contacts a person
 * knows are one are merged: the loser's links move to the winner, a resync of the loser acts on
 * the winner, and unmerging moves exactly the loser's links back. Bad input is a problem with a
 * stable code and changes nothing.
 */
const halo = withHaloUserWrites(withHaloClientWrites(createHaloFake()));
const autotask = withAutotaskCompanyWrites(new AutotaskFake());
const contacts = withAutotaskContacts(autotask);
const hosts: HostProcess[] = [];

afterAll(async () => {
  for (const h of hosts) await h.kill();
  await halo.stop();
  await autotask.stop();
});

interface ContactItem {
  id: string;
  name: string;
  aliasOf?: string;
  links: Array<{ integrationId: string; vendor: string; vendorId: string }>;
}

describe('entity sync: synced contacts and contact merge over the API', () => {
  it('lists synced contacts; merges two contacts, resyncs the alias on the winner, and unmerges', async () => {
    halo.listings.seed('clients', 1);
    halo.listings.seed('users', 2);
    halo.listings.touch(
      'users',
      1,
      { name: 'Ada Lovelace', emailaddress: 'ada@client1.example', phonenumber: '+44 1', client_id: 1 },
      new Date(Date.UTC(2026, 0, 2)),
    );
    autotask.entities.Companies = [{ id: 501, companyName: 'Client 1', isActive: true }];
    contacts.contacts.length = 0;
    contacts.contacts.push({
      id: 9001,
      companyID: 501,
      firstName: 'Augusta',
      lastName: 'King',
      emailAddress: 'augusta@client1.example',
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
    const { haloId, autotaskId } = await connectHaloAndAutotask(api, { halo, autotask });

    // Synced contacts: a sync run of Halo's users, then the record store through the API.
    const started = await api('POST', `/api/v1/integrations/${haloId}/sync`, { entities: ['contacts'], mode: 'full' });
    expect(started.status, started.text).toBe(202);
    await eventually(async () => {
      const run = await api('GET', `/api/v1/sync-runs/${String(started.json.id)}`);
      return run.json.status === 'succeeded' ? run : undefined;
    }, 60_000);
    const synced = await api('GET', `/api/v1/contacts?integrationId=${haloId}`);
    expect(synced.status, synced.text).toBe(200);
    expect((synced.json.items as Array<{ id: string }>).map((i) => i.id).sort()).toEqual(['1', '2']);
    const one = await api('GET', `/api/v1/contacts/1?integrationId=${haloId}`);
    expect(one.status, one.text).toBe(200);
    expect(one.json).toMatchObject({ id: '1', entity: 'contacts', fields: { name: 'Ada Lovelace' } });
    expect((await api('GET', '/api/v1/contacts')).json.code).toBe('validation_failed');
    expect((await api('GET', `/api/v1/contacts/999?integrationId=${haloId}`)).status).toBe(404);

    // Two canonical contacts a person knows are one.
    expect((await api('POST', '/api/v1/entities/companies/match')).status).toBe(200);
    expect((await api('POST', '/api/v1/entities/contacts/match')).json).toMatchObject({ created: 3, linked: 0 });
    const listed = (await api('GET', '/api/v1/entities/contacts')).json.items as ContactItem[];
    const ada = listed.find((c) => c.name === 'Ada Lovelace')!;
    const augusta = listed.find((c) => c.name === 'Augusta King')!;

    // Bad merges change nothing.
    const self = await api('POST', '/api/v1/entities/contacts/merge', { winnerId: ada.id, loserId: ada.id });
    expect([self.status, self.json.code]).toEqual([400, 'validation_failed']);
    const missing = await api('POST', '/api/v1/entities/contacts/merge', { winnerId: ada.id, loserId: 'p0000' });
    expect([missing.status, missing.json.code]).toEqual([404, 'not_found']);
    const notMerged = await api('POST', `/api/v1/entities/contacts/${augusta.id}/unmerge`);
    expect([notMerged.status, notMerged.json.code]).toEqual([409, 'entity_not_merged']);

    const merged = await api('POST', '/api/v1/entities/contacts/merge', { winnerId: ada.id, loserId: augusta.id });
    expect(merged.status, merged.text).toBe(200);
    expect(merged.json.loser).toMatchObject({ id: augusta.id, aliasOf: ada.id });
    expect((merged.json.winner as ContactItem).links.map((l) => l.integrationId).sort()).toEqual(
      [haloId, autotaskId].sort(),
    );
    // Repeated (a retry): the same merge, nothing new.
    const again = await api('POST', '/api/v1/entities/contacts/merge', { winnerId: ada.id, loserId: augusta.id });
    expect(again.status, again.text).toBe(200);
    expect((again.json.winner as ContactItem).links).toHaveLength(2);
    const intoAlias = await api('POST', '/api/v1/entities/contacts/merge', { winnerId: augusta.id, loserId: ada.id });
    expect([intoAlias.status, intoAlias.json.code]).toEqual([409, 'entity_merged']);

    // The two disagreed on name and e-mail, which lost their base: a resync of the alias acts on
    // the winner and asks a person instead of choosing.
    const resync = await api('POST', '/api/v1/sync/resync', { entity: 'contact', id: augusta.id });
    expect(resync.status, resync.text).toBe(200);
    expect(resync.json.contact).toMatchObject({ id: ada.id });
    expect(resync.json.conflicts).toHaveLength(2);
    expect(resync.json.writtenTo).toEqual([]);

    const unmerged = await api('POST', `/api/v1/entities/contacts/${augusta.id}/unmerge`);
    expect(unmerged.status, unmerged.text).toBe(200);
    expect(unmerged.json.contact).not.toHaveProperty('aliasOf');
    expect((unmerged.json.contact as ContactItem).links.map((l) => l.integrationId)).toEqual([autotaskId]);
    expect((unmerged.json.formerWinner as ContactItem).links.map((l) => l.integrationId)).toEqual([haloId]);
    // The links point back: a match finds every record already linked.
    expect((await api('POST', '/api/v1/entities/contacts/match')).json).toMatchObject({
      created: 0,
      linked: 0,
      alreadyLinked: 3,
    });
    expect(halo.refusals).toEqual([]);
    expect(autotask.refusals).toEqual([]);
  }, 150_000);
});
