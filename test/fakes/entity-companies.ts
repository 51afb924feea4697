import { secretsEqual } from '../../shared/crypto/constant-time';
import { type AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from './autotask';
import type { HaloFakeServer } from './halopsa';

/**
 * Company writes for entity sync (docs/entity-sync.md), added to the Halo and Autotask fakes by
 * these functions so the fakes' other tests are untouched:
 * - Halo `POST /api/Client [ {id, …fields} ]` changes the seeded client (`listings`, else the fake's
 *   own `clients`), answers the saved objects;
 * - Autotask `PATCH /V1.0/Companies {id, …fields}` changes the company in `entities.Companies`, answers `{itemId}`.
 */

export function withHaloClientWrites(halo: HaloFakeServer): HaloFakeServer {
  halo.route('POST', '/api/Client', (req) => {
    if (!req.headers.authorization?.startsWith('Bearer ')) return { status: 401, json: { message: 'Unauthorized' } };
    if (!Array.isArray(req.json) || req.json.length === 0)
      return { status: 400, json: { message: 'Expected an array of clients.' } };
    const saved: Record<string, unknown>[] = [];
    for (const raw of req.json as Record<string, unknown>[]) {
      const id = Number(raw.id);
      if (!Number.isInteger(id) || id <= 0) return { status: 400, json: { message: 'A client update needs its id.' } };
      const { id: _id, ...fields } = raw;
      if (!halo.listings.has('clients')) {
        // The unseeded clients (the fake `npm start` runs): changed in place.
        const client = halo.clients.find((c) => c.id === id);
        if (!client) return { status: 400, json: { message: `Client ${id} was not found.` } };
        saved.push(Object.assign(client, fields));
        continue;
      }
      halo.listings.touch('clients', id, fields, new Date());
      saved.push(halo.listings.record('clients', id));
    }
    return { status: 201, json: saved.length === 1 ? saved[0] : saved };
  });
  return halo;
}

export function withAutotaskCompanyWrites(autotask: AutotaskFake): AutotaskFake {
  autotask.route('PATCH', '/ATServicesRest/V1.0/Companies', (req) => {
    if (!secretsEqual(req.headers.secret ?? '', FAKE_AUTOTASK_CREDENTIALS.secret))
      return { status: 401, json: { errors: ['Unauthorized'] } };
    const body = (req.json ?? {}) as Record<string, unknown>;
    const company = autotask.entities.Companies.find((c) => c.id === body.id);
    if (!company) return { status: 500, json: { errors: [`Company ${String(body.id)} was not found.`] } };
    Object.assign(company, body);
    return { json: { itemId: company.id } };
  });
  return autotask;
}
