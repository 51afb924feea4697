import type { VendorSession } from '../../vendors/contract';
import { expectOk } from '../../vendors/core/errors';
import { readPax8Message } from '../../vendors/pax8/api';
import { pax8Endpoints } from '../../vendors/pax8/config';
import { type Pax8Session, pax8Call } from '../../vendors/pax8/index';
import type { CompanyValues } from '../tables';
import { type CompanySource, type FieldMap, fieldsOf, type ProductCompany, text, valuesOf } from './company-source';
import { listAllPax8 } from './pax8-lists';

/**
 * Pax8 companies (docs/entity-sync.md, "Products"): `GET /companies` (pages of 200) and
 * `PATCH /companies/{companyId}` with Pax8's `CompanyUpdate` for writes. Canonical fields: `name`,
 * `phone`, `website` — the same names in Pax8.
 */

const MAP: FieldMap = { name: 'name', phone: 'phone', website: 'website' };

function toCompany(row: Record<string, unknown>): ProductCompany | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  return { vendorId, values: valuesOf(row, MAP) };
}

const listAll = (session: Pax8Session) => listAllPax8(session, { kind: 'companies' }, toCompany);

export const pax8Companies: CompanySource = {
  vendor: 'pax8',
  writable: true,
  list: (session) => listAll(session as Pax8Session),
  async get(session: VendorSession<unknown, unknown>, vendorId: string) {
    // The listing is the read the hub's Pax8 slice has; a company is found by walking it.
    const all = await listAll(session as Pax8Session);
    return all.find((c) => c.vendorId === vendorId);
  },
  async update(session: VendorSession<unknown, unknown>, vendorId: string, values: CompanyValues) {
    const pax8 = session as Pax8Session;
    const json = fieldsOf(values, MAP);
    const url = `${pax8Endpoints(pax8.config).apiRoot}/companies/${encodeURIComponent(vendorId)}`;
    const response = await pax8Call(pax8, (token) => ({
      operation: 'companies.update',
      method: 'PATCH',
      url,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      json,
    }));
    expectOk('pax8', 'companies.update', response, readPax8Message);
  },
};
