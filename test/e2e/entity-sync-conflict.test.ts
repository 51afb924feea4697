import { afterAll, describe, expect, it } from 'vitest';
import { AutotaskFake } from '../fakes/autotask';
import { withAutotaskCompanyWrites, withHaloClientWrites } from '../fakes/entity-companies';
import { createHaloFake } from '../fakes/halopsa';
import { connectHaloAndAutotask } from '../support/entity-api';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * Entity sync's promise (docs/entity-sync.md): one company held by Halo PSA and Autotask is one
 * canonical company; when both products change its phone differently there is exactly one
 * conflict (nobody's value wins); resolving it writes the chosen value to both products and
 * publishes `company.updated` to subscribers once.
 */
const halo = withHaloClientWrites(createHaloFake());
const autotask = withAutotaskCompanyWrites(new AutotaskFake());
const hosts: HostProcess[] = [];
const receivers: Receiver[] = [];
/** What the first test leaves for the second (they share one host and tenant). */
let api: (method: string, path: string, body?: unknown) => ReturnType<typeof call> = () => {
  throw new Error('the first test did not start a host');
};
let firstCompanyId = '';

afterAll(async () => {
  for (const h of hosts) await h.kill();
  for (const r of receivers) await r.close();
  await halo.stop();
  await autotask.stop();
});

interface Delivery {
  eventType: string;
  status: string;
}

describe('entity sync: one company in Halo PSA and Autotask', () => {
  it('two products change the same field → one conflict; resolving writes both and publishes company.updated once', async () => {
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
    await halo.start();
    await autotask.start();
    const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', API_RATE_LIMIT_PER_MINUTE: '1000000' });
    const key = env.BOOTSTRAP_API_KEY!;
    const host = await startHostProcess(env);
    hosts.push(host);
    api = (method: string, path: string, body?: unknown) =>
      call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

    const receiver = await startReceiver();
    receivers.push(receiver);
    const subscription = await api('POST', '/api/v1/subscriptions', { url: receiver.url, eventTypes: ['company.*'] });
    expect(subscription.status, subscription.text).toBe(201);

    const { haloId, autotaskId } = await connectHaloAndAutotask(api, { halo, autotask });

    // Matching: the same name makes one company with two links (normalising is test/unit/entity-matching).
    const matched = await api('POST', '/api/v1/entities/companies/match');
    expect(matched.status, matched.text).toBe(200);
    expect(matched.json).toMatchObject({ created: 1, linked: 1, flagged: 0 });
    const again = await api('POST', '/api/v1/entities/companies/match');
    expect(again.json).toMatchObject({ created: 0, linked: 0, alreadyLinked: 2 });
    const list = await api('GET', '/api/v1/entities/companies');
    expect(list.status).toBe(200);
    const companies = list.json.items as Array<{ id: string; links: Array<{ vendor: string; vendorId: string }> }>;
    expect(companies).toHaveLength(1);
    const companyId = companies[0]!.id;
    firstCompanyId = companyId;
    expect(companies[0]!.links.map((l) => `${l.vendor}:${l.vendorId}`).sort()).toEqual(['autotask:501', 'halopsa:1']);

    // Both products change the phone, differently.
    halo.listings.touch('clients', 1, { phonenumber: '+44 20 1111 1111' }, new Date(Date.UTC(2026, 0, 3)));
    autotask.entities.Companies[0]!.phone = '+44 20 2222 2222';

    const compared = await api('GET', `/api/v1/entities/companies/${companyId}/compare`);
    expect(compared.status, compared.text).toBe(200);
    expect(compared.json.base).toMatchObject({ phone: '+44 20 0000 0000' });
    const sides = compared.json.products as Array<{ vendor: string; values: { phone?: string } }>;
    expect(Object.fromEntries(sides.map((s) => [s.vendor, s.values.phone]))).toEqual({
      halopsa: '+44 20 1111 1111',
      autotask: '+44 20 2222 2222',
    });

    const resync = await api('POST', '/api/v1/sync/resync', { entity: 'company', id: companyId });
    expect(resync.status, resync.text).toBe(200);
    expect(resync.json.changedFields).toEqual([]);
    expect(resync.json.conflicts).toHaveLength(1);
    // Resyncing again finds the same conflict, not a second one, and writes nothing.
    const resyncAgain = await api('POST', '/api/v1/sync/resync', { entity: 'company', id: companyId });
    expect(resyncAgain.json.conflicts).toEqual(resync.json.conflicts);
    expect(halo.received('POST', '/api/Client')).toHaveLength(0);
    expect(autotask.received('PATCH', /\/Companies$/)).toHaveLength(0);

    const conflicts = await api('GET', '/api/v1/sync/conflicts?status=open');
    expect(conflicts.status).toBe(200);
    const open = conflicts.json.items as Array<{ id: string; field: string; base: string }>;
    expect(open).toHaveLength(1);
    const conflict = open[0] as { id: string; field: string; base: string };
    expect(conflict).toMatchObject({ field: 'phone', base: '+44 20 0000 0000', companyId });

    // Bad inputs change nothing.
    const badBody = await api('POST', `/api/v1/sync/conflicts/${conflict.id}/resolve`, { pick: 'autotask' });
    expect(badBody.status).toBe(400);
    expect(badBody.json.code).toBe('validation_failed');
    const notOurs = await api('POST', `/api/v1/sync/conflicts/${conflict.id}/resolve`, { integrationId: 'nope' });
    expect(notOurs.status).toBe(400);
    const missing = await api('POST', '/api/v1/sync/conflicts/k0000/resolve', { value: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('not_found');
    const noCompany = await api('POST', '/api/v1/sync/resync', { entity: 'company', id: 'c0000' });
    expect(noCompany.status).toBe(404);

    // Resolve with Autotask's version: written to both, the base moves, company.updated once.
    const resolved = await api('POST', `/api/v1/sync/conflicts/${conflict.id}/resolve`, { integrationId: autotaskId });
    expect(resolved.status, resolved.text).toBe(200);
    expect([...(resolved.json.writtenTo as string[])].sort()).toEqual([haloId, autotaskId].sort());
    expect(halo.listings.record('clients', 1).phonenumber).toBe('+44 20 2222 2222');
    expect(autotask.entities.Companies[0]!.phone).toBe('+44 20 2222 2222');
    const twice = await api('POST', `/api/v1/sync/conflicts/${conflict.id}/resolve`, { value: 'other' });
    expect(twice.status).toBe(409);
    expect(twice.json.code).toBe('conflict_resolved');
    expect((await api('GET', '/api/v1/sync/conflicts?status=open')).json.items).toHaveLength(0);

    // After the resolve both products agree with the base: a resync changes nothing.
    const settled = await api('POST', '/api/v1/sync/resync', { entity: 'company', id: companyId });
    expect(settled.json).toMatchObject({ changedFields: [], writtenTo: [] });

    const hit = await eventually(
      async () => receiver.received.find((r) => r.body.includes('"company.updated"')),
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nhost:\n${host.output().slice(-4000)}`);
    });
    expect(JSON.parse(hit.body)).toMatchObject({
      type: 'company.updated',
      data: { companyId, changedFields: ['phone'] },
    });
    const deliveries = await api('GET', `/api/v1/deliveries?subscriptionId=${String(subscription.json.id)}`);
    const types = (deliveries.json.items as Delivery[]).map((d) => d.eventType).sort();
    expect(types).toEqual(['company.created', 'company.updated']);
  }, 150_000);

  it('a second Autotask record with the same name is flagged, not merged; a merge moves its link and unmerge moves it back', async () => {
    autotask.entities.Companies.push({
      id: 502,
      companyName: 'Client 1 Inc',
      phone: '+44 20 9999 9999',
      isActive: true,
    });
    const matched = await api('POST', '/api/v1/entities/companies/match');
    expect(matched.json).toMatchObject({ created: 1, linked: 0, flagged: 1, alreadyLinked: 2 });
    const list = (await api('GET', '/api/v1/entities/companies')).json.items as Array<{
      id: string;
      possibleDuplicateOf?: string;
      links: Array<{ vendorId: string }>;
    }>;
    const duplicate = list.find((c) => c.possibleDuplicateOf === firstCompanyId);
    expect(duplicate?.links.map((l) => l.vendorId)).toEqual(['502']);
    const loserId = duplicate!.id;

    expect((await api('POST', '/api/v1/entities/companies/merge', { winnerId: loserId, loserId })).status).toBe(400);
    const merged = await api('POST', '/api/v1/entities/companies/merge', { winnerId: firstCompanyId, loserId });
    expect(merged.status, merged.text).toBe(200);
    expect((merged.json.winner as { links: Array<{ vendorId: string }> }).links.map((l) => l.vendorId).sort()).toEqual([
      '1',
      '501',
      '502',
    ]);
    expect(merged.json.loser).toMatchObject({ aliasOf: firstCompanyId });
    // Merged again (a retry) is the same merge; merging anything into the alias is refused.
    expect((await api('POST', '/api/v1/entities/companies/merge', { winnerId: firstCompanyId, loserId })).status).toBe(
      200,
    );
    const intoAlias = await api('POST', '/api/v1/entities/companies/merge', {
      winnerId: loserId,
      loserId: firstCompanyId,
    });
    expect(intoAlias.status).toBe(409);
    expect(intoAlias.json.code).toBe('entity_merged');
    // Matching again leaves the merged links where the merge put them.
    expect((await api('POST', '/api/v1/entities/companies/match')).json).toMatchObject({
      created: 0,
      alreadyLinked: 3,
    });

    const unmerged = await api('POST', `/api/v1/entities/companies/${loserId}/unmerge`);
    expect(unmerged.status, unmerged.text).toBe(200);
    expect(unmerged.json.company).not.toHaveProperty('aliasOf');
    expect(
      (unmerged.json.formerWinner as { links: Array<{ vendorId: string }> }).links.map((l) => l.vendorId).sort(),
    ).toEqual(['1', '501']);
    const twice = await api('POST', `/api/v1/entities/companies/${loserId}/unmerge`);
    expect(twice.status).toBe(409);
    expect(twice.json.code).toBe('entity_not_merged');
  }, 60_000);
});
