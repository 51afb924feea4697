import type { VendorSession } from '../../vendors/contract';
import type { M365Session } from '../../vendors/microsoft365/index';
import { type CompanySource, type ProductCompany, text, valuesOf } from './company-source';
import { listAllGraph } from './graph-lists';

/**
 * Microsoft 365 customer tenants, read only (docs/entity-sync.md, "Products"):
 * `GET /tenantRelationships/delegatedAdminCustomers`, following `@odata.nextLink` on the Graph
 * host. A tenant's display name belongs to the customer's own directory, which the partner's
 * app-only token cannot change, so `writable` is false. Canonical field: `name` ← `displayName`.
 */

function toCompany(row: Record<string, unknown>): ProductCompany | undefined {
  const vendorId = text(row.id)?.toLowerCase();
  if (vendorId === undefined) return undefined;
  return { vendorId, values: valuesOf(row, { name: 'displayName' }) };
}

const listAll = (session: M365Session) => listAllGraph(session, 'customers', 100, toCompany);

export const microsoft365Tenants: CompanySource = {
  vendor: 'microsoft365',
  writable: false,
  list: (session) => listAll(session as M365Session),
  async get(session: VendorSession<unknown, unknown>, vendorId: string) {
    const all = await listAll(session as M365Session);
    return all.find((c) => c.vendorId === vendorId.toLowerCase());
  },
  async update() {
    throw new Error('Microsoft 365 customer tenants are read only for the hub.');
  },
};
