import type { VendorSession } from '../../vendors/contract';
import type { M365Session } from '../../vendors/microsoft365/index';
import { GRAPH_MAX_USERS_TOP } from '../../vendors/microsoft365/sync-listing';
import type { ContactValues } from '../tables';
import { text } from './company-source';
import { type ContactSource, fullName, type ProductContact } from './contact-source';
import { listAllGraph } from './graph-lists';

/**
 * Microsoft 365 users of the tenant the integration signs in to, read only (docs/entity-sync.md,
 * "Products"): `GET /users` with the sync engine's `$select`, following `@odata.nextLink`; one user
 * is found by walking the list. A user belongs to the customer's directory, so the hub never
 * writes to it. Canonical fields: `name` ← `displayName` (or `givenName` + `surname`), `email` ←
 * `mail`, `phone` ← the first of `businessPhones` (else `mobilePhone`). The company is the signed-in
 * tenant itself, which has a canonical company only when it is also one of the linked customer tenants.
 */

function toContact(row: Record<string, unknown>, tenantId: string): ProductContact | undefined {
  const vendorId = text(row.id)?.toLowerCase();
  if (vendorId === undefined) return undefined;
  const values: ContactValues = {};
  const name = text(row.displayName) ?? fullName(text(row.givenName), text(row.surname));
  if (name !== undefined) values.name = name;
  const email = text(row.mail);
  if (email !== undefined && email !== '') values.email = email;
  const phones = Array.isArray(row.businessPhones) ? row.businessPhones : [];
  const phone = text(phones[0]) ?? text(row.mobilePhone);
  if (phone !== undefined && phone !== '') values.phone = phone;
  return { vendorId, values, companyVendorId: tenantId };
}

function listAll(session: M365Session): Promise<ProductContact[]> {
  const tenantId = session.config.tenantId.toLowerCase();
  return listAllGraph(session, 'users', GRAPH_MAX_USERS_TOP, (row) => toContact(row, tenantId));
}

export const microsoft365Users: ContactSource = {
  vendor: 'microsoft365',
  writable: false,
  list: (session) => listAll(session as M365Session),
  async get(session: VendorSession<unknown, unknown>, vendorId: string) {
    const all = await listAll(session as M365Session);
    return all.find((c) => c.vendorId === vendorId.toLowerCase());
  },
  async update() {
    throw new Error('Microsoft 365 users are read only for the hub.');
  },
};
