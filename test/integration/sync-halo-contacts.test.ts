import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/integrations';
import { syncDeps } from '../../shared/sync/deps';
import { handleSyncPage } from '../../shared/sync/engine';
import { getSyncedRecord, listSyncedRecords } from '../../shared/sync/record-list';
import { getSyncRun, type SyncDeps, startSync } from '../../shared/sync/runs';
import { createHaloFake, HALO_FAKE_CREDENTIALS, type HaloFakeServer } from '../fakes/halopsa';
import { installLocalSettings } from '../support/local-settings';
import { RecordingBus } from '../support/sync-harness';

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
    const caller: Principal = { tenantId: `tn-${randomUUID().slice(0, 8)}`, keyId: 'key1', scopes: ['admin'] };
    const bus = new RecordingBus();
    const deps: SyncDeps = { ...syncDeps(), bus };
    const integration = await createIntegration(
      integrationDeps(),
      caller,
      { vendor: 'halopsa', name: 'Halo', credentials: { ...HALO_FAKE_CREDENTIALS }, config: { baseUrl: halo.baseUrl } },
      { skipTest: true, correlationId: 'setup' },
    );
    const started = await startSync(
      deps,
      caller,
      integration.id,
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
    for (let next = bus.take(); next; next = bus.take())
      expect(await handleSyncPage(deps, next)).toEqual({ kind: 'complete' });
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
    const user = await getSyncedRecord(deps, caller, 'contacts', integration.id, '41');
    expect(user.fields).toMatchObject({ id: 41, name: 'User 41', emailaddress: 'user41@client13.example' });
    const page = await listSyncedRecords(deps, caller, 'contacts', { integrationId: integration.id, limit: 200 });
    expect(page.items).toHaveLength(125);
    // A user without a name is kept and reported (Halo users need a name and a client).
    expect(run.warnings).toEqual(
      expect.arrayContaining([expect.objectContaining({ entity: 'contacts', field: 'name', examples: ['43'] })]),
    );
  });
});
