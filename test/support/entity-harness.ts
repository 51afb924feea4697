import type { Principal } from '../../shared/apikeys/principal';
import { entityDeps } from '../../shared/entities/deps';
import type { EntityDeps } from '../../shared/entities/entity-deps';
import { HALO_FAKE_CREDENTIALS, type HaloFakeServer } from '../fakes/halopsa';
import { FAKE_ITGLUE_CREDENTIALS, type ItGlueFake } from '../fakes/itglue';
import { M365_FAKE_CREDENTIALS, type M365FakeServer, microsoft365Fake } from '../fakes/microsoft365';
import { PAX8_FAKE_CREDENTIALS, type Pax8Fake, pax8Fake } from '../fakes/pax8';
import { createSyncIntegration } from './sync-harness';

/**
 * What the entity-sync tests over several products share (test/integration/entit*.test.ts): the
 * hub's own entity deps with the publications recorded, and one integration per product fake.
 */

/** The hub's entity deps; every publication's type is recorded (nothing is delivered). */
export function recordingEntityDeps(): { deps: EntityDeps; published: string[] } {
  const published: string[] = [];
  const deps: EntityDeps = {
    ...entityDeps(),
    publish: async (_tenant, event) => {
      published.push(event.type);
    },
  };
  return { deps, published };
}

/** A Halo, an IT Glue, a Pax8 and a Microsoft 365 integration of the caller's tenant on the fakes. */
export async function connectFourProducts(
  caller: Principal,
  fakes: { halo: HaloFakeServer; itglue: ItGlueFake; pax8: Pax8Fake; graph: M365FakeServer },
): Promise<{ haloId: string; itglueId: string; pax8Id: string; graphId: string }> {
  return {
    haloId: await createSyncIntegration(
      caller,
      'halopsa',
      { ...HALO_FAKE_CREDENTIALS },
      { baseUrl: fakes.halo.baseUrl },
    ),
    itglueId: await createSyncIntegration(
      caller,
      'itglue',
      { ...FAKE_ITGLUE_CREDENTIALS },
      { baseUrl: fakes.itglue.baseUrl },
    ),
    pax8Id: await createSyncIntegration(
      caller,
      'pax8',
      { ...PAX8_FAKE_CREDENTIALS },
      pax8Fake.config(fakes.pax8.baseUrl),
    ),
    graphId: await createSyncIntegration(
      caller,
      'microsoft365',
      { ...M365_FAKE_CREDENTIALS },
      microsoft365Fake.config(fakes.graph.baseUrl),
    ),
  };
}
