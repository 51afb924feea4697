import type { AutotaskSession } from '../../vendors/autotask/index';
import { autotaskRequest } from '../../vendors/autotask/index';
import { type AutotaskFilter, queryAll } from '../../vendors/autotask/queries';
import type { VendorSession } from '../../vendors/contract';
import type { CompanyValues } from '../tables';
import { type CompanySource, type FieldMap, fieldsOf, type ProductCompany, text, valuesOf } from './company-source';

/**
 * Autotask companies through the query API (`POST /V1.0/Companies/query`, then its next pages)
 * and `PATCH /V1.0/Companies {id, …fields}` for writes. Canonical fields: `name` ← `companyName`,
 * `phone`, `website` ← `webAddress`.
 */

const MAP: FieldMap = { name: 'companyName', phone: 'phone', website: 'webAddress' };
const FIELDS = Object.values(MAP);

function toCompany(row: Record<string, unknown>): ProductCompany | undefined {
  const vendorId = text(row.id);
  return vendorId === undefined ? undefined : { vendorId, values: valuesOf(row, MAP) };
}

/** Stops a runaway listing: 40 pages of 500 companies (a longer list is refused, not cut). */
const MAX_PAGES = 40;

async function query(session: AutotaskSession, filter: AutotaskFilter) {
  const rows = await queryAll(session, { entity: 'Companies', filter, includeFields: FIELDS, maxPages: MAX_PAGES });
  return rows.map(toCompany).filter((c): c is ProductCompany => c !== undefined);
}

export const autotaskCompanies: CompanySource = {
  vendor: 'autotask',
  writable: true,
  list: (session) => query(session as AutotaskSession, [{ op: 'gt', field: 'id', value: 0 }]),
  async get(session: VendorSession<unknown, unknown>, vendorId: string) {
    const found = await query(session as AutotaskSession, [{ op: 'eq', field: 'id', value: Number(vendorId) }]);
    return found[0];
  },
  async update(session: VendorSession<unknown, unknown>, vendorId: string, values: CompanyValues) {
    const json = { id: Number(vendorId), ...fieldsOf(values, MAP) };
    await autotaskRequest(session as AutotaskSession, {
      operation: 'companies.update',
      method: 'PATCH',
      path: 'Companies',
      json,
    });
  },
};
