import type { AutotaskSession } from '../../vendors/autotask/index';
import { autotaskRequest } from '../../vendors/autotask/index';
import { type AutotaskFilter, queryAll } from '../../vendors/autotask/queries';
import type { VendorSession } from '../../vendors/contract';
import type { ContactValues } from '../tables';
import { type FieldMap, fieldsOf, text, valuesOf } from './company-source';
import { type ContactSource, fullName, type ProductContact, splitName } from './contact-source';

/**
 * Autotask contacts through the query API (`POST /V1.0/Contacts/query`) and, because a contact is
 * a child of its company in Autotask's REST API, writes as `PATCH /V1.0/Companies/{companyID}/Contacts
 * {id, …fields}`. Canonical fields: `name` ← `firstName` + `lastName`, `email` ← `emailAddress`,
 * `phone`; the company is `companyID`. Every query page is read: while `pageDetails.nextPageUrl` is
 * set, a GET of it (only inside the session's zone, since the credentials ride along) gives the next
 * 500.
 */

/** Stops a runaway listing: 40 pages of 500 contacts. */
const MAX_PAGES = 40;

// The query helper asks for `id` too: only named fields come back.
const FIELDS = ['firstName', 'lastName', 'emailAddress', 'phone', 'companyID'] as const;

/** Canonical fields read and written as one Autotask field each; the name is `firstName` + `lastName`. */
const MAP: FieldMap = { email: 'emailAddress', phone: 'phone' };

function toContact(row: Record<string, unknown>): ProductContact | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  const name = fullName(text(row.firstName), text(row.lastName));
  const values: ContactValues = { ...(name !== undefined ? { name } : {}), ...valuesOf(row, MAP) };
  return { vendorId, values, companyVendorId: text(row.companyID) };
}

async function query(session: AutotaskSession, filter: AutotaskFilter): Promise<ProductContact[]> {
  const rows = await queryAll(session, { entity: 'Contacts', filter, includeFields: FIELDS, maxPages: MAX_PAGES });
  return rows.map(toContact).filter((c): c is ProductContact => c !== undefined);
}

async function getOne(session: AutotaskSession, vendorId: string): Promise<ProductContact | undefined> {
  const found = await query(session, [{ op: 'eq', field: 'id', value: Number(vendorId) }]);
  return found[0];
}

export const autotaskContacts: ContactSource = {
  vendor: 'autotask',
  writable: true,
  list: (session) => query(session as AutotaskSession, [{ op: 'gt', field: 'id', value: 0 }]),
  get: (session: VendorSession<unknown, unknown>, vendorId: string) => getOne(session as AutotaskSession, vendorId),
  async update(session: VendorSession<unknown, unknown>, vendorId: string, values: ContactValues) {
    const autotask = session as AutotaskSession;
    // The write goes under the contact's company, which only the contact itself names.
    const current = await getOne(autotask, vendorId);
    if (current?.companyVendorId === undefined) return;
    const json: Record<string, unknown> = { id: Number(vendorId) };
    if (values.name !== undefined) {
      const { first, last } = splitName(values.name);
      json.firstName = first;
      json.lastName = last;
    }
    Object.assign(json, fieldsOf(values, MAP));
    await autotaskRequest(autotask, {
      operation: 'contacts.update',
      method: 'PATCH',
      path: `Companies/${encodeURIComponent(current.companyVendorId)}/Contacts`,
      json,
    });
  },
};
