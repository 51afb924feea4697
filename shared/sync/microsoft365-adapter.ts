import type { VendorSession } from '../vendors/contract';
import type { M365Session } from '../vendors/microsoft365/index';
import { listM365Page, type M365Listing } from '../vendors/microsoft365/sync-listing';
import type { ListedPage, PageRequest, SyncAdapter, SyncEntity, SyncedRecord } from './adapter';
import { PageRecords, stepsInOrder, text } from './data-quality';

/**
 * Microsoft 365 (Graph, partner view): clients are the partner's customer tenants
 * (`GET /tenantRelationships/delegatedAdminCustomers`, readable with the same
 * DelegatedAdminRelationship.Read.All the connector's GDAP check already needs); contacts are the
 * users of the tenant the integration signs in to (`GET /users`), because an app-only token of
 * the partner tenant cannot read a customer tenant's directory (docs/sync.md, "Microsoft 365").
 *
 * One engine page is one Graph page (users ask `$top` = the batch size; Graph chooses the size of
 * a customers page). The cursor is `@odata.nextLink`. Neither list has a last-updated field the
 * hub can filter on, so incremental runs read everything and the content hash skips what did not
 * change (Graph's delta query would avoid the re-read; it is not used yet).
 */

const LISTING: Partial<Record<SyncEntity, M365Listing>> = { clients: 'customers', contacts: 'users' };
const ORDER: readonly SyncEntity[] = ['clients', 'contacts'];

const REQUIRED: Record<M365Listing, readonly string[]> = {
  customers: ['displayName', 'tenantId'],
  users: ['displayName', 'mail'],
};

function toRecord(listing: M365Listing, row: Record<string, unknown>): SyncedRecord | undefined {
  const vendorId = text(row.id)?.toLowerCase();
  if (vendorId === undefined) return undefined;
  const index: SyncedRecord['index'] = {};
  const name = text(row.displayName);
  if (name !== undefined && name !== '') index.name = name;
  if (listing === 'users' && typeof row.accountEnabled === 'boolean') index.inactive = !row.accountEnabled;
  return { vendorId, updatedAt: undefined, fields: row, index };
}

export const microsoft365SyncAdapter: SyncAdapter = {
  vendor: 'microsoft365',
  entities: ['clients', 'contacts'],
  steps: (entities) => stepsInOrder(ORDER, entities),
  async listPage(session: VendorSession<unknown, unknown>, request: PageRequest): Promise<ListedPage> {
    const listing = LISTING[request.step.entity];
    if (!listing) throw new Error(`Microsoft 365 has no ${request.step.entity} to sync`);
    const link = request.cursor === '' ? undefined : request.cursor;
    const page = await listM365Page(session as M365Session, listing, request.size, link);
    const out = new PageRecords();
    for (const row of page.rows) {
      const record = out.check(row, toRecord(listing, row), REQUIRED[listing]);
      if (!record) continue;
      if (listing === 'users' && !request.filters.includeInactive && record.index.inactive === true) continue;
      out.records.push(record);
    }
    // The link's query (skip tokens) is no secret, but it is long: the debug log names the page only.
    const requests = [
      `GET ${listing === 'customers' ? '/tenantRelationships/delegatedAdminCustomers' : '/users'}${link ? ' (next link)' : ''}`,
    ];
    return { ...out, nextCursor: page.nextLink ?? null, requests };
  },
};
