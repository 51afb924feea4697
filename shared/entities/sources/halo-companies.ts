import type { VendorSession } from '../../vendors/contract';
import type { HaloSession } from '../../vendors/halopsa/auth';
import type { CompanyValues } from '../tables';
import { type CompanySource, type FieldMap, fieldsOf, type ProductCompany, text, valuesOf } from './company-source';
import { getHaloOne, haloWrite, listAllHalo } from './halo-lists';

/**
 * Halo PSA clients: `GET /api/Client` (paged like the sync engine's listing), `GET /api/Client/{id}` for one, and writes as
 * `POST /api/Client [ {id, …fields} ]` (Halo writes are POSTs of arrays, docs/vendors.md).
 * Canonical fields: `name`, `phone` ← `phonenumber`, `website`.
 */

const MAP: FieldMap = { name: 'name', phone: 'phonenumber', website: 'website' };

function toCompany(row: Record<string, unknown>): ProductCompany | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  return { vendorId, values: valuesOf(row, MAP) };
}

export const haloCompanies: CompanySource = {
  vendor: 'halopsa',
  writable: true,
  list: (session) => listAllHalo(session as HaloSession, 'clients', toCompany),
  get: (session: VendorSession<unknown, unknown>, vendorId: string) =>
    getHaloOne(session as HaloSession, 'client.get', '/api/Client', vendorId, toCompany),
  async update(session: VendorSession<unknown, unknown>, vendorId: string, values: CompanyValues) {
    const row = { id: Number(vendorId), ...fieldsOf(values, MAP) };
    await haloWrite(session as HaloSession, 'client.update', '/api/Client', row);
  },
};
