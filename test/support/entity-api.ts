import { expect } from 'vitest';
import { FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { HALO_FAKE_CREDENTIALS } from '../fakes/halopsa';
import type { CallResult } from './http';

/** The host's API as the entity-sync e2e tests call it: with the tenant's key, a JSON body when given. */
export type EntityApi = (method: string, path: string, body?: unknown) => Promise<CallResult>;

/**
 * A Halo PSA and an Autotask integration of the key's tenant on the two fakes, created over the
 * API (test/e2e/entity*.test.ts hold one company or contact in both products).
 */
export async function connectHaloAndAutotask(
  api: EntityApi,
  fakes: { halo: { baseUrl: string }; autotask: { baseUrl: string } },
): Promise<{ haloId: string; autotaskId: string }> {
  const connect = async (vendor: string, credentials: Record<string, string>, baseUrl: string) => {
    const created = await api('POST', '/api/v1/integrations?skipTest=true', {
      vendor,
      name: `${vendor} (fake)`,
      credentials,
      config: { baseUrl },
    });
    expect(created.status, created.text).toBe(201);
    return String(created.json.id);
  };
  const haloId = await connect('halopsa', HALO_FAKE_CREDENTIALS, fakes.halo.baseUrl);
  const autotaskId = await connect('autotask', FAKE_AUTOTASK_CREDENTIALS, fakes.autotask.baseUrl);
  return { haloId, autotaskId };
}
