import type { AutotaskSession } from '../../vendors/autotask/index';
import { autotaskRequest } from '../../vendors/autotask/index';
import type { VendorSession } from '../../vendors/contract';
import { badResponse, isRecord, pathValue } from '../../vendors/core/errors';
import type { ContactValues } from '../tables';
import { text } from './company-source';
import { type ContactSource, fullName, type ProductContact, splitName } from './contact-source';

/**
 * Autotask contacts through the query API (`POST /V1.0/Contacts/query`) and, because a contact is
 * a child of its company in Autotask's REST API, writes as `PATCH /V1.0/Companies/{companyID}/Contacts
 * {id, …fields}`. Canonical fields: `name` ← `firstName` + `lastName`, `email` ← `emailAddress`,
 * `phone`; the company is `companyID`. One query page (500 contacts) is read: paging is still to
 * come (docs/entity-sync.md, "What is left").
 */

// `id` asked for by name, as the query helper does for every entity: only named fields come back.
const FIELDS = ['id', 'firstName', 'lastName', 'emailAddress', 'phone', 'companyID'] as const;

function toContact(row: Record<string, unknown>): ProductContact | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  const values: ContactValues = {};
  const name = fullName(text(row.firstName), text(row.lastName));
  if (name !== undefined) values.name = name;
  const email = text(row.emailAddress);
  if (email !== undefined) values.email = email;
  const phone = text(row.phone);
  if (phone !== undefined) values.phone = phone;
  return { vendorId, values, companyVendorId: text(row.companyID) };
}

async function query(session: AutotaskSession, filter: Array<Record<string, unknown>>): Promise<ProductContact[]> {
  const { response } = await autotaskRequest(session, {
    operation: 'contacts.query',
    method: 'POST',
    path: 'Contacts/query',
    json: { filter, MaxRecords: 500, IncludeFields: FIELDS },
  });
  const items = pathValue(response.body, 'items');
  if (!Array.isArray(items))
    throw badResponse('autotask', 'contacts.query', response, 'The query answered without items');
  return items
    .filter(isRecord)
    .map(toContact)
    .filter((c): c is ProductContact => c !== undefined);
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
    if (values.email !== undefined) json.emailAddress = values.email;
    if (values.phone !== undefined) json.phone = values.phone;
    await autotaskRequest(autotask, {
      operation: 'contacts.update',
      method: 'PATCH',
      path: `Companies/${encodeURIComponent(current.companyVendorId)}/Contacts`,
      json,
    });
  },
};
