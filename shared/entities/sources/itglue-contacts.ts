import type { VendorSession } from '../../vendors/contract';
import { isRecord } from '../../vendors/core/errors';
import type { ContactValues } from '../tables';
import { text } from './company-source';
import { type ContactSource, fullName, type ProductContact } from './contact-source';
import { type ItGlueSession, listAllItGlue } from './itglue-lists';

/**
 * IT Glue contacts, read only like its organisations (docs/entity-sync.md, "Products"):
 * `GET /contacts` (JSON:API pages of 1,000) and `filter[id]` for one. Canonical fields: `name` ←
 * `first-name` + `last-name`, `email` and `phone` ← the primary entry of `contact-emails` /
 * `contact-phones` (else the first); the company is `organization-id`. Nothing is ever written.
 */

/** The primary `{value, primary}` entry of an IT Glue e-mail or phone list, else the first. */
function primaryValue(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  const entries = list.filter(isRecord);
  const chosen = entries.find((e) => e.primary === true) ?? entries[0];
  const value = text(chosen?.value);
  return value === undefined || value === '' ? undefined : value;
}

function toContact(row: Record<string, unknown>): ProductContact | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  const values: ContactValues = {};
  const name = fullName(text(row['first-name']), text(row['last-name']));
  if (name !== undefined) values.name = name;
  const email = primaryValue(row['contact-emails']);
  if (email !== undefined) values.email = email;
  const phone = primaryValue(row['contact-phones']);
  if (phone !== undefined) values.phone = phone;
  return { vendorId, values, companyVendorId: text(row['organization-id']) };
}

export const itglueContacts: ContactSource = {
  vendor: 'itglue',
  writable: false,
  list: (session) => listAllItGlue(session as ItGlueSession, 'contacts', { sort: 'id' }, toContact),
  async get(session: VendorSession<unknown, unknown>, vendorId: string) {
    const found = await listAllItGlue(session as ItGlueSession, 'contacts', { 'filter[id]': vendorId }, toContact);
    return found.find((c) => c.vendorId === vendorId);
  },
  async update() {
    // Entity sync checks `writable` first; this is the backstop should a caller ever forget.
    throw new Error('IT Glue is read only for the hub: nothing is written to it.');
  },
};
