import type { VendorSession } from '../vendors/contract';

import type { HaloSession } from '../vendors/halopsa/index';
import {
  HALO_LAST_UPDATED_FIELD,
  HALO_MAX_PAGE_SIZE,
  type HaloListedEntity,
  listHaloPage,
} from '../vendors/halopsa/listing';
import type { ListedPage, PageRequest, SyncAdapter, SyncEntity, SyncedRecord, SyncFilters, SyncStep } from './adapter';
import { PageRecords, psaStepsInOrder, text } from './data-quality';

/**
 * Halo PSA: clients, contacts (Halo's users), tickets and assets (docs/sync.md, "Halo PSA"). One engine page of `size`
 * records is ceil(size / 100) Halo pages, because Halo serves at most 100 per page. The cursor is
 * the next Halo `page_no`.
 */

const REQUIRED: Record<HaloListedEntity, readonly string[]> = {
  tickets: ['summary', 'client_id'],
  clients: ['name'],
  assets: ['client_id', 'assettype_id'],
  contacts: ['name', 'client_id'],
};

// Contacts right after clients: a contact names its client, so clients are there first.
const ORDER: readonly SyncEntity[] = ['clients', 'contacts', 'tickets', 'assets'];

/** Halo's query parameters for a step and the request's filters (names from its OpenAPI description). */
export function haloParams(step: SyncStep, filters: SyncFilters, since: string | undefined): Record<string, string> {
  const entity: HaloListedEntity = step.entity;
  const params: Record<string, string> = {};
  if (since !== undefined) {
    // Newest first by Halo's last-updated field: the run stops at the first record older than the watermark.
    params.order = HALO_LAST_UPDATED_FIELD[entity];
    params.orderdesc = 'true';
  } else {
    params.order = 'id';
    params.orderdesc = 'false';
  }
  if (filters.includeInactive) params.includeinactive = 'true';
  if (entity === 'tickets') {
    if (step.variant === 'open') params.open_only = 'true';
    if (step.variant === 'closed') params.closed_only = 'true';
    if (filters.from !== undefined || filters.to !== undefined) {
      params.datesearch = filters.dateField === 'closed' ? 'datecleared' : 'dateoccured';
      if (filters.from !== undefined) params.startdate = filters.from;
      if (filters.to !== undefined) params.enddate = filters.to;
    }
  }
  if (entity !== 'clients') {
    if (filters.clientId !== undefined) params.client_id = String(filters.clientId);
    if (filters.siteId !== undefined) params.site_id = String(filters.siteId);
  }
  if (entity === 'assets' && filters.assetTypeIds !== undefined && filters.assetTypeIds.length > 0) {
    params.assettypes = filters.assetTypeIds.join(',');
  }
  return params;
}

function toRecord(entity: HaloListedEntity, row: Record<string, unknown>): SyncedRecord | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  const index: SyncedRecord['index'] = {};
  const name = text(entity === 'tickets' ? row.summary : entity === 'assets' ? row.inventory_number : row.name);
  if (name !== undefined) index.name = name;
  const clientId = text(row.client_id);
  if (clientId !== undefined && entity !== 'clients') index.clientId = clientId;
  const siteId = text(row.site_id);
  if (siteId !== undefined && entity !== 'clients') index.siteId = siteId;
  const statusId = text(row.status_id);
  if (statusId !== undefined) index.statusId = statusId;
  const typeId = text(row.assettype_id);
  if (typeId !== undefined && entity === 'assets') index.typeId = typeId;
  if (typeof row.inactive === 'boolean') index.inactive = row.inactive;
  return { vendorId, updatedAt: text(row[HALO_LAST_UPDATED_FIELD[entity]]), fields: row, index };
}

export const haloSyncAdapter: SyncAdapter = {
  vendor: 'halopsa',
  entities: ['clients', 'contacts', 'tickets', 'assets'],
  steps: (entities, filters) => psaStepsInOrder(ORDER, entities, filters),
  async listPage(session: VendorSession<unknown, unknown>, request: PageRequest): Promise<ListedPage> {
    const entity: HaloListedEntity = request.step.entity;
    const haloSize = Math.min(HALO_MAX_PAGE_SIZE, request.size);
    const calls = Math.ceil(request.size / haloSize);
    const params = haloParams(request.step, request.filters, request.since);
    let pageNo = request.cursor === '' ? 1 : Number(request.cursor);
    const out = new PageRecords();
    const requests: string[] = [];
    let done = false;
    for (let call = 0; call < calls && !done; call++) {
      requests.push(`GET ${entity} page_no=${pageNo} page_size=${haloSize} ${new URLSearchParams(params).toString()}`);
      const page = await listHaloPage(session as HaloSession, { entity, pageNo, pageSize: haloSize, params });
      for (const row of page.records) {
        const record = out.check(row, toRecord(entity, row), REQUIRED[entity]);
        if (!record) continue;
        // Incremental: newest first, so the first record older than the watermark ends the step.
        if (request.since !== undefined && record.updatedAt !== undefined && record.updatedAt < request.since) {
          done = true;
          break;
        }
        out.records.push(record);
      }
      const seen = pageNo * haloSize;
      if (page.records.length < haloSize || (page.recordCount !== undefined && seen >= page.recordCount)) done = true;
      pageNo++;
    }
    return { ...out, nextCursor: done ? null : String(pageNo), requests };
  },
};
