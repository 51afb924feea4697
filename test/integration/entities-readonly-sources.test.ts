import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock/index';
import { listCompanies, matchCompanies, resyncCompany } from '../../shared/entities/companies';
import { listConflicts, resolveConflict } from '../../shared/entities/conflicts';
import { withHaloClientWrites } from '../fakes/entity-companies';
import { createHaloFake, type HaloFakeServer } from '../fakes/halopsa';
import { ItGlueFake } from '../fakes/itglue';
import { M365FakeServer } from '../fakes/microsoft365';
import { createPax8Fake, type Pax8Fake } from '../fakes/pax8';
import { connectFourProducts, recordingEntityDeps } from '../support/entity-harness';
import { installLocalSettings } from '../support/local-settings';
import { syncSetup } from '../support/sync-harness';

/**
 * Entity sync with the read-only products (docs/entity-sync.md, "Products"): one company held by
 * Halo PSA, IT Glue, Pax8 and Microsoft 365. When Halo and IT Glue rename it differently there is
 * a conflict; resolving it with IT Glue's name writes that name to Halo and Pax8 (writable) and
 * sends nothing but reads to IT Glue and Graph, whose fakes' request logs show it.
 */

let halo: HaloFakeServer;
let itglue: ItGlueFake;
let pax8: Pax8Fake;
let graph: M365FakeServer;
let restoreClock: (() => void) | undefined;
const clock = new ManualClock(Date.UTC(2026, 5, 1));
const PAX8_ID = 'c1a0e8a2-0000-4000-8000-0000000000aa';
const TENANT_ID = 'a1a0e8a2-0000-4000-8000-0000000000bb';

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  halo = withHaloClientWrites(createHaloFake());
  itglue = new ItGlueFake();
  pax8 = createPax8Fake();
  graph = new M365FakeServer();
  await Promise.all([halo.start(), itglue.start(), pax8.start(), graph.start()]);
});

afterAll(async () => {
  restoreClock?.();
  await Promise.all([halo.stop(), itglue.stop(), pax8.stop(), graph.stop()]);
});

describe('entity sync: IT Glue and Microsoft 365 are read only, Pax8 is written', () => {
  it('a conflict between Halo and IT Glue resolved with IT Glue’s name writes Halo and Pax8, never IT Glue or Graph', async () => {
    halo.listings.seed('clients', 1);
    itglue.listings.seed('organizations', 1);
    itglue.listings.flaw('organizations', 1, { name: 'Client 1' });
    pax8.companies = [{ id: PAX8_ID, name: 'Client 1', status: 'Active', phone: '555-0100' }];
    graph.customers = [{ id: TENANT_ID, tenantId: TENANT_ID, displayName: 'Client 1' }];
    const { caller } = syncSetup();
    const { deps, published } = recordingEntityDeps();
    const { haloId, itglueId, pax8Id, graphId } = await connectFourProducts(caller, { halo, itglue, pax8, graph });

    expect(await matchCompanies(deps, caller, 'e1')).toMatchObject({ created: 1, linked: 3, flagged: 0 });
    const companies = await listCompanies(deps, caller, { limit: 10 });
    expect(companies.items).toHaveLength(1);
    const company = companies.items[0]!;
    expect(company.links.map((l) => l.integrationId).sort()).toEqual([haloId, itglueId, pax8Id, graphId].sort());

    halo.listings.touch('clients', 1, { name: 'Client One Ltd' }, new Date(Date.UTC(2026, 4, 1)));
    itglue.listings.touch('organizations', 1, { name: 'Client 1 Holdings' }, new Date(Date.UTC(2026, 4, 2)));
    const resync = await resyncCompany(deps, caller, company.id, 'e2');
    expect(resync.conflicts).toHaveLength(1);
    const open = await listConflicts(deps, caller, { status: 'open', limit: 10 });
    expect(open.items).toHaveLength(1);

    const resolved = await resolveConflict(deps, caller, open.items[0]!.id, { integrationId: itglueId }, 'e3');
    expect(resolved.writtenTo.sort()).toEqual([haloId, pax8Id].sort());
    expect(halo.listings.record('clients', 1).name).toBe('Client 1 Holdings');
    expect(pax8.received('PATCH', `/v1/companies/${PAX8_ID}`).map((r) => r.json)).toEqual([
      { name: 'Client 1 Holdings' },
    ]);
    expect(pax8.companies[0]).toMatchObject({ name: 'Client 1 Holdings', phone: '555-0100' });
    // Read only: IT Glue and Graph saw nothing but reads (and Graph's token request).
    expect(itglue.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(graph.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/oauth2/v2.0/token'))).toEqual([]);
    expect(itglue.refusals).toEqual([]);
    expect(pax8.refusals).toEqual([]);
    expect(published).toContain('company.updated');

    // Graph still shows the old name (it is never written): compared with what it held, it did
    // not move, so the next resync changes nothing and writes nothing back.
    const again = await resyncCompany(deps, caller, company.id, 'e4');
    expect(again).toMatchObject({ changedFields: [], conflicts: [], writtenTo: [] });
    expect(halo.listings.record('clients', 1).name).toBe('Client 1 Holdings');
  });
});
