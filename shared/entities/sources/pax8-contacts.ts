import type { VendorSession } from '../../vendors/contract';
import { expectOk, isRecord } from '../../vendors/core/errors';
import { readPax8Message } from '../../vendors/pax8/api';
import { pax8Endpoints } from '../../vendors/pax8/config';
import { type Pax8Session, pax8Call } from '../../vendors/pax8/index';
import type { ContactValues } from '../tables';
import { text } from './company-source';
import { type ContactSource, fullName, type ProductContact, splitName } from './contact-source';
import { listAllPax8 } from './pax8-lists';

/**
 * Pax8 contacts (docs/entity-sync.md, "Products"): each company's `GET
 * /companies/{companyId}/contacts` (pages of 200), one read as `GET
 * /companies/{companyId}/contacts/{contactId}` and written as `PUT` of the same path. Pax8 addresses
 * a contact only under its company, so the vendor id is `{companyId}/{contactId}`. The PUT body is
 * Pax8's whole `Contact` (`firstName`, `lastName`, `email` and `phone` are all required), so a
 * write reads the contact first and sends its other fields back as read. Canonical fields: `name` ←
 * `firstName` + `lastName`, `email`, `phone`.
 */

function toContact(row: Record<string, unknown>, companyId: string): ProductContact | undefined {
  const contactId = text(row.id);
  if (contactId === undefined || contactId === '') return undefined;
  const values: ContactValues = {};
  const name = fullName(text(row.firstName), text(row.lastName));
  if (name !== undefined) values.name = name;
  const email = text(row.email);
  if (email !== undefined && email !== '') values.email = email;
  const phone = text(row.phone);
  if (phone !== undefined && phone !== '') values.phone = phone;
  return { vendorId: `${companyId}/${contactId}`, values, companyVendorId: companyId };
}

/** `{companyId}/{contactId}` → its parts; undefined for an id that is not one of ours. */
function parts(vendorId: string): { companyId: string; contactId: string } | undefined {
  const [companyId, contactId, extra] = vendorId.split('/');
  if (!companyId || !contactId || extra !== undefined) return undefined;
  return { companyId, contactId };
}

function contactUrl(session: Pax8Session, at: { companyId: string; contactId: string }): string {
  const root = pax8Endpoints(session.config).apiRoot;
  return `${root}/companies/${encodeURIComponent(at.companyId)}/contacts/${encodeURIComponent(at.contactId)}`;
}

/** The contact as Pax8 holds it now; undefined when Pax8 no longer has it (404). */
async function readRaw(session: Pax8Session, vendorId: string): Promise<Record<string, unknown> | undefined> {
  const at = parts(vendorId);
  if (!at) return undefined;
  const response = await pax8Call(session, (token) => ({
    operation: 'contacts.get',
    method: 'GET',
    url: contactUrl(session, at),
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  }));
  if (response.status === 404) return undefined;
  expectOk('pax8', 'contacts.get', response, readPax8Message);
  return isRecord(response.body) ? response.body : undefined;
}

async function listAll(session: Pax8Session): Promise<ProductContact[]> {
  const companies = await listAllPax8(session, { kind: 'companies' }, (row) => text(row.id));
  const out: ProductContact[] = [];
  for (const companyId of companies)
    out.push(...(await listAllPax8(session, { kind: 'contacts', companyId }, (row) => toContact(row, companyId))));
  return out;
}

export const pax8Contacts: ContactSource = {
  vendor: 'pax8',
  writable: true,
  list: (session) => listAll(session as Pax8Session),
  async get(session: VendorSession<unknown, unknown>, vendorId: string) {
    const raw = await readRaw(session as Pax8Session, vendorId);
    const at = parts(vendorId);
    return raw === undefined || at === undefined ? undefined : toContact(raw, at.companyId);
  },
  async update(session: VendorSession<unknown, unknown>, vendorId: string, values: ContactValues) {
    const pax8 = session as Pax8Session;
    const at = parts(vendorId);
    const current = await readRaw(pax8, vendorId);
    if (!at || !current) return;
    const json: Record<string, string> = {
      firstName: text(current.firstName) ?? '',
      lastName: text(current.lastName) ?? '',
      email: text(current.email) ?? '',
      phone: text(current.phone) ?? '',
    };
    if (values.name !== undefined) {
      const { first, last } = splitName(values.name);
      json.firstName = first;
      json.lastName = last;
    }
    if (values.email !== undefined) json.email = values.email;
    if (values.phone !== undefined) json.phone = values.phone;
    const response = await pax8Call(pax8, (token) => ({
      operation: 'contacts.update',
      method: 'PUT',
      url: contactUrl(pax8, at),
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      json,
    }));
    expectOk('pax8', 'contacts.update', response, readPax8Message);
  },
};
