import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSyncedRecord, listSyncedRecords } from '../../shared/sync/record-list';
import { getSyncRun, startSync } from '../../shared/sync/runs';
import { createHaloFake, HALO_FAKE_CREDENTIALS, type HaloFakeServer } from '../fakes/halopsa';
import { installLocalSettings } from '../support/local-settings';
import { createSyncIntegration, drainSync, syncSetup } from '../support/sync-harness';

/**
 * Halo contacts in the sync engine (docs/sync.md, "Halo PSA"): Halo calls a customer's end users
 * "users" (`GET /api/Users`), paged like its other lists. The fake holds every request to Halo's
 * published description, so a parameter `GET /Users` does not declare would be refused.
 */

let halo: HaloFakeServer;

beforeAll(async () => {
  installLocalSettings();
  halo = createHaloFake();
  await halo.start();
});

afterAll(async () => {
  await halo.stop();
});

describe('sync engine: Halo PSA contacts (users)', () => {
  it('a contacts run pages GET /api/Users with a client filter and keeps each user with its client', async () => {
    halo.listings.seed('users', 250);
    halo.listings.flaw('users', 43, { name: null });
    const { caller, bus, deps } = syncSetup();
    const integrationId = await createSyncIntegration(
      caller,
      'halopsa',
      { ...HALO_FAKE_CREDENTIALS },
      { baseUrl: halo.baseUrl },
    );
    const started = await startSync(
      deps,
      caller,
      integrationId,
      {
        entities: ['contacts'],
        mode: 'full',
        batchSize: 100,
        filters: { ticketStatus: 'all', includeInactive: true, clientId: 13 },
        schedule: false,
        debug: false,
      },
      { correlationId: 'contacts-1' },
    );
    await drainSync(deps, bus);
    const run = await getSyncRun(deps, caller, started.id);
    // Odd ids are client 13: 125 users, over two Halo pages.
    expect(run).toMatchObject({ status: 'succeeded', counts: { created: 125, failed: 0 } });
    const calls = halo.received('GET', '/api/Users');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.query).toMatchObject({
      pageinate: 'true',
      page_size: '100',
      page_no: '1',
      client_id: '13',
      includeinactive: 'true',
    });
    expect(halo.refusals).toEqual([]);
    const user = await getSyncedRecord(deps, caller, 'contacts', integrationId, '41');
    expect(user.fields).toMatchObject({ id: 41, name: 'User 41', emailaddress: 'user41@client13.example' });
    const page = await listSyncedRecords(deps, caller, 'contacts', { integrationId: integrationId, limit: 200 });
    expect(page.items).toHaveLength(125);
    // A user without a name is kept and reported (Halo users need a name and a client).
    expect(run.warnings).toEqual(
      expect.arrayContaining([expect.objectContaining({ entity: 'contacts', field: 'name', examples: ['43'] })]),
    );
  });
});
