import type { VendorSession } from '../../vendors/contract';
import { expectOk } from '../../vendors/core/errors';
import { readHaloMessage } from '../../vendors/halopsa/api';
import { type HaloSession, haloBearerCall } from '../../vendors/halopsa/auth';
import { haloBaseUrl } from '../../vendors/halopsa/config';
import { HALO_MAX_PAGE_SIZE, listHaloPage } from '../../vendors/halopsa/listing';
import type { CompanyValues } from '../tables';
import { type CompanySource, type ProductCompany, text } from './company-source';

/**
 * Halo PSA clients: `GET /api/Client` (paged like the sync engine's listing) and writes as
 * `POST /api/Client [ {id, …fields} ]` (Halo writes are POSTs of arrays, docs/vendors.md).
 * Canonical fields: `name`, `phone` ← `phonenumber`, `website`.
 */

/** Stops a runaway listing: 20 pages of 100 clients. */
const MAX_PAGES = 20;

function toCompany(row: Record<string, unknown>): ProductCompany | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  const values: CompanyValues = {};
  const name = text(row.name);
  if (name !== undefined) values.name = name;
  const phone = text(row.phonenumber);
  if (phone !== undefined) values.phone = phone;
  const website = text(row.website);
  if (website !== undefined) values.website = website;
  return { vendorId, values };
}

async function listAll(session: HaloSession, params: Record<string, string>): Promise<ProductCompany[]> {
  const out: ProductCompany[] = [];
  for (let pageNo = 1; pageNo <= MAX_PAGES; pageNo++) {
    const page = await listHaloPage(session, { entity: 'clients', pageNo, pageSize: HALO_MAX_PAGE_SIZE, params });
    for (const row of page.records) {
      const company = toCompany(row);
      if (company) out.push(company);
    }
    if (page.records.length < HALO_MAX_PAGE_SIZE) break;
  }
  return out;
}

export const haloCompanies: CompanySource = {
  vendor: 'halopsa',
  writable: true,
  list: (session) => listAll(session as HaloSession, { order: 'id', orderdesc: 'false' }),
  async get(session: VendorSession<unknown, unknown>, vendorId: string) {
    // The listing is the one read the hub's Halo slice has; a client is found by walking it.
    const all = await listAll(session as HaloSession, { order: 'id', orderdesc: 'false' });
    return all.find((c) => c.vendorId === vendorId);
  },
  async update(session: VendorSession<unknown, unknown>, vendorId: string, values: CompanyValues) {
    const halo = session as HaloSession;
    const row: Record<string, unknown> = { id: Number(vendorId) };
    if (values.name !== undefined) row.name = values.name;
    if (values.phone !== undefined) row.phonenumber = values.phone;
    if (values.website !== undefined) row.website = values.website;
    const { response } = await haloBearerCall(halo, (token) => ({
      operation: 'client.update',
      method: 'POST',
      url: `${haloBaseUrl(halo.config)}/api/Client`,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      json: [row],
    }));
    expectOk('halopsa', 'client.update', response, readHaloMessage);
  },
};
