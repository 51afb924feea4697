import type { VendorSession } from '../../vendors/contract';
import type { HaloSession } from '../../vendors/halopsa/auth';
import type { CompanyValues } from '../tables';
import { type CompanySource, type ProductCompany, text } from './company-source';
import { getHaloOne, haloWrite, listAllHalo } from './halo-lists';

/**
 * Halo PSA clients: `GET /api/Client` (paged like the sync engine's listing), `GET /api/Client/{id}` for one, and writes as
 * `POST /api/Client [ {id, …fields} ]` (Halo writes are POSTs of arrays, docs/vendors.md).
 * Canonical fields: `name`, `phone` ← `phonenumber`, `website`.
 */

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

export const haloCompanies: CompanySource = {
  vendor: 'halopsa',
  writable: true,
  list: (session) => listAllHalo(session as HaloSession, 'clients', toCompany),
  get: (session: VendorSession<unknown, unknown>, vendorId: string) =>
    getHaloOne(session as HaloSession, 'client.get', '/api/Client', vendorId, toCompany),
  async update(session: VendorSession<unknown, unknown>, vendorId: string, values: CompanyValues) {
    const row: Record<string, unknown> = { id: Number(vendorId) };
    if (values.name !== undefined) row.name = values.name;
    if (values.phone !== undefined) row.phonenumber = values.phone;
    if (values.website !== undefined) row.website = values.website;
    await haloWrite(session as HaloSession, 'client.update', '/api/Client', row);
  },
};
