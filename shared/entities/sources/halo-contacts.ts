import type { VendorSession } from '../../vendors/contract';
import type { HaloSession } from '../../vendors/halopsa/auth';
import type { ContactValues } from '../tables';
import { type FieldMap, fieldsOf, text, valuesOf } from './company-source';
import { type ContactSource, fullName, type ProductContact, splitName } from './contact-source';
import { getHaloOne, haloWrite, listAllHalo } from './halo-lists';

/**
 * Halo PSA users — Halo's name for a customer's end users — as contacts: `GET /api/Users` (paged
 * like the sync engine's listing), `GET /api/Users/{id}` for one, and writes as `POST /api/Users [ {id, …fields} ]`. Canonical
 * fields: `name` (or `firstname` + `surname`), `email` ← `emailaddress`, `phone` ← `phonenumber`;
 * the company is the user's `client_id`.
 */

/** Canonical fields read and written as one Halo field each; the name is Halo's `name` or its parts. */
const MAP: FieldMap = { email: 'emailaddress', phone: 'phonenumber' };

function toContact(row: Record<string, unknown>): ProductContact | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  const name = text(row.name) ?? fullName(text(row.firstname), text(row.surname));
  const values: ContactValues = { ...(name !== undefined ? { name } : {}), ...valuesOf(row, MAP) };
  return { vendorId, values, companyVendorId: text(row.client_id) };
}

export const haloContacts: ContactSource = {
  vendor: 'halopsa',
  writable: true,
  list: (session) => listAllHalo(session as HaloSession, 'contacts', toContact),
  get: (session: VendorSession<unknown, unknown>, vendorId: string) =>
    getHaloOne(session as HaloSession, 'user.get', '/api/Users', vendorId, toContact),
  async update(session: VendorSession<unknown, unknown>, vendorId: string, values: ContactValues) {
    const row: Record<string, unknown> = { id: Number(vendorId) };
    if (values.name !== undefined) {
      // Halo shows `name` and keeps first name and surname beside it: all three move together.
      const { first, last } = splitName(values.name);
      row.name = values.name;
      row.firstname = first;
      row.surname = last;
    }
    Object.assign(row, fieldsOf(values, MAP));
    await haloWrite(session as HaloSession, 'user.update', '/api/Users', row);
  },
};
