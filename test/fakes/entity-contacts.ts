import { secretsEqual } from '../../shared/crypto/constant-time';
import { type AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from './autotask';
import type { HaloFakeServer } from './halopsa';

/**
 * Contact reads and writes for entity sync (docs/entity-sync.md, "Contacts"), added to the Halo
 * and Autotask fakes by these functions so the fakes' other tests are untouched:
 * - Halo `POST /api/Users [ {id, …fields} ]` changes the seeded user (`listings`, entity `users`);
 * - Autotask `PATCH /V1.0/Companies/{parentId}/Contacts {id, …fields}` over the fake's own Contacts
 *   rows (which its query API serves), refused when the contact is not that company's, as Autotask
 *   refuses a child under the wrong parent.
 */

export function withHaloUserWrites(halo: HaloFakeServer): HaloFakeServer {
  halo.route('POST', '/api/Users', (req) => {
    if (!req.headers.authorization?.startsWith('Bearer ')) return { status: 401, json: { message: 'Unauthorized' } };
    if (!Array.isArray(req.json) || req.json.length === 0)
      return { status: 400, json: { message: 'Expected an array of users.' } };
    const saved: Record<string, unknown>[] = [];
    for (const raw of req.json as Record<string, unknown>[]) {
      const id = Number(raw.id);
      if (!Number.isInteger(id) || id <= 0) return { status: 400, json: { message: 'A user update needs its id.' } };
      const { id: _id, ...fields } = raw;
      halo.listings.touch('users', id, fields, new Date());
      saved.push(halo.listings.record('users', id));
    }
    return { status: 201, json: saved.length === 1 ? saved[0] : saved };
  });
  return halo;
}

export interface AutotaskContacts {
  autotask: AutotaskFake;
  /** Autotask Contacts rows (`id`, `companyID`, `firstName`, `lastName`, `emailAddress`, `phone`). */
  contacts: Array<Record<string, unknown>>;
}

export function withAutotaskContacts(autotask: AutotaskFake): AutotaskContacts {
  // The fake's own Contacts rows: its query API (filters, paging, field checks) reads them.
  const state: AutotaskContacts = { autotask, contacts: autotask.entities.Contacts };
  const signed = (secret: string | undefined) => secretsEqual(secret ?? '', FAKE_AUTOTASK_CREDENTIALS.secret);
  autotask.route('PATCH', '/ATServicesRest/V1.0/Companies/:parentId/Contacts', (req) => {
    if (!signed(req.headers.secret)) return { status: 401, json: { errors: ['Unauthorized'] } };
    const body = (req.json ?? {}) as Record<string, unknown>;
    const contact = state.contacts.find((c) => c.id === body.id);
    if (!contact || String(contact.companyID) !== req.params.parentId)
      return { status: 500, json: { errors: [`Contact ${String(body.id)} was not found under this company.`] } };
    Object.assign(contact, body);
    return { json: { itemId: contact.id } };
  });
  return state;
}
