import type { VendorSession } from '../../vendors/contract';
import { type CompanySource, type ProductCompany, text, valuesOf } from './company-source';
import { type ItGlueSession, listAllItGlue } from './itglue-lists';

/**
 * IT Glue organisations, read only (docs/entity-sync.md, "Products"): `GET /organizations`
 * (JSON:API pages of 1,000) and `filter[id]` for one. IT Glue holds documentation the MSP curates
 * by hand, so the hub never writes to it: `writable` is false, entity sync skips it on every
 * write, and `update` refuses rather than send anything. Canonical field: `name` (an organisation
 * has no phone or website attribute).
 */

function toCompany(row: Record<string, unknown>): ProductCompany | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  return { vendorId, values: valuesOf(row, { name: 'name' }) };
}

export const itglueOrganizations: CompanySource = {
  vendor: 'itglue',
  writable: false,
  list: (session) => listAllItGlue(session as ItGlueSession, 'organizations', { sort: 'id' }, toCompany),
  async get(session: VendorSession<unknown, unknown>, vendorId: string) {
    const found = await listAllItGlue(session as ItGlueSession, 'organizations', { 'filter[id]': vendorId }, toCompany);
    return found.find((c) => c.vendorId === vendorId);
  },
  async update() {
    // Entity sync checks `writable` first; this is the backstop should a caller ever forget.
    throw new Error('IT Glue is read only for the hub: nothing is written to it.');
  },
};
