import type { VendorSession } from '../../vendors/contract';
import type { ItGlueConfig, ItGlueCredentials } from '../../vendors/itglue/index';
import { ITGLUE_MAX_PAGE_SIZE, listItGluePage } from '../../vendors/itglue/listing';
import type { CompanyValues } from '../tables';
import { type CompanySource, type ProductCompany, text } from './company-source';

/**
 * IT Glue organisations, read only (docs/entity-sync.md, "Products"): `GET /organizations`
 * (JSON:API pages of 1,000) and `filter[id]` for one. IT Glue holds documentation the MSP curates
 * by hand, so the hub never writes to it: `writable` is false, entity sync skips it on every
 * write, and `update` refuses rather than send anything. Canonical field: `name` (an organisation
 * has no phone or website attribute).
 */

type ItGlueSession = VendorSession<ItGlueCredentials, ItGlueConfig>;

/** Stops a runaway listing: 20 pages of 1,000 organisations. */
const MAX_PAGES = 20;

function toCompany(row: Record<string, unknown>): ProductCompany | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  const values: CompanyValues = {};
  const name = text(row.name);
  if (name !== undefined) values.name = name;
  return { vendorId, values };
}

async function listAll(session: ItGlueSession, params: Record<string, string>): Promise<ProductCompany[]> {
  const out: ProductCompany[] = [];
  let pageNumber: number | undefined = 1;
  for (let pages = 0; pageNumber !== undefined && pages < MAX_PAGES; pages++) {
    const page = await listItGluePage(session, {
      entity: 'organizations',
      pageNumber,
      pageSize: ITGLUE_MAX_PAGE_SIZE,
      params,
    });
    for (const row of page.rows) {
      const company = toCompany(row);
      if (company) out.push(company);
    }
    pageNumber = page.nextPage;
  }
  return out;
}

export const itglueOrganizations: CompanySource = {
  vendor: 'itglue',
  writable: false,
  list: (session) => listAll(session as ItGlueSession, { sort: 'id' }),
  async get(session: VendorSession<unknown, unknown>, vendorId: string) {
    const found = await listAll(session as ItGlueSession, { 'filter[id]': vendorId });
    return found.find((c) => c.vendorId === vendorId);
  },
  async update() {
    // Entity sync checks `writable` first; this is the backstop should a caller ever forget.
    throw new Error('IT Glue is read only for the hub: nothing is written to it.');
  },
};
