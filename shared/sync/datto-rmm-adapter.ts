import type { VendorSession } from '../vendors/contract';

import type { RmmSession } from '../vendors/datto-rmm/index';
import { listRmmPage, RMM_MAX_PAGE, type RmmListedEntity } from '../vendors/datto-rmm/listing';
import type { ListedPage, PageRequest, SyncAdapter, SyncEntity, SyncedRecord, SyncFilters } from './adapter';
import { PageRecords, stepsInOrder, text } from './data-quality';

/**
 * Datto RMM: clients are sites, assets are devices (docs/sync.md, "Datto RMM"). One engine page
 * of `size` records is ceil(size / 250) API pages of equal `max`, because the API serves at most
 * 250; `max` stays the same for the whole run, so the cursor is simply the next API `page` number. Records are keyed by the API's `uid` (how it addresses a site
 * or device). Datto RMM keeps no last-modified time on sites or devices, so no record carries
 * one, no watermark is written, and an incremental run is a full re-read in which unchanged
 * records are skipped by their content hash.
 */

const ENTITY: Partial<Record<SyncEntity, RmmListedEntity>> = { clients: 'sites', assets: 'devices' };

const REQUIRED: Record<RmmListedEntity, readonly string[]> = {
  sites: ['name'],
  devices: ['hostname', 'siteUid'],
};

const ORDER: readonly SyncEntity[] = ['clients', 'assets'];

function rmmEntity(entity: SyncEntity): RmmListedEntity {
  const target = ENTITY[entity];
  if (target === undefined) throw new Error(`Datto RMM does not sync ${entity}`);
  return target;
}

/**
 * The request's filters the API cannot apply (its device list filters by hostname, type and
 * operating system only), applied to each page: `clientId` and `siteId` are Datto's numeric site
 * id; without `includeInactive`, deleted devices are left out.
 */
function keeps(entity: RmmListedEntity, row: Record<string, unknown>, filters: SyncFilters): boolean {
  if (entity !== 'devices') return true;
  const site = typeof row.siteId === 'number' ? row.siteId : Number(row.siteId);
  if (filters.clientId !== undefined && site !== filters.clientId) return false;
  if (filters.siteId !== undefined && site !== filters.siteId) return false;
  if (!filters.includeInactive && row.deleted === true) return false;
  return true;
}

function toRecord(entity: RmmListedEntity, row: Record<string, unknown>): SyncedRecord | undefined {
  const vendorId = text(row.uid);
  if (vendorId === undefined || vendorId === '') return undefined;
  const index: SyncedRecord['index'] = {};
  const name = text(entity === 'sites' ? row.name : row.hostname);
  if (name !== undefined) index.name = name;
  if (entity === 'devices') {
    const siteUid = text(row.siteUid);
    if (siteUid !== undefined) index.clientId = siteUid;
    const siteId = text(row.siteId);
    if (siteId !== undefined) index.siteId = siteId;
    const deviceClass = text(row.deviceClass);
    if (deviceClass !== undefined) index.typeId = deviceClass;
    if (typeof row.deleted === 'boolean') index.inactive = row.deleted;
  }
  return { vendorId, updatedAt: undefined, fields: row, index };
}

export const dattoRmmSyncAdapter: SyncAdapter = {
  vendor: 'datto-rmm',
  entities: ['clients', 'assets'],
  steps: (entities) => stepsInOrder(ORDER, entities),
  async listPage(session: VendorSession<unknown, unknown>, request: PageRequest): Promise<ListedPage> {
    const entity = rmmEntity(request.step.entity);
    // As few requests as the API's 250 allows, split evenly so an engine page is about `size`, not a multiple of 250.
    const calls = Math.ceil(request.size / RMM_MAX_PAGE);
    const max = Math.ceil(request.size / calls);
    let page = request.cursor === '' ? 0 : Number(request.cursor);
    const out = new PageRecords();
    const requests: string[] = [];
    let done = false;
    for (let call = 0; call < calls && !done; call++) {
      requests.push(`GET ${entity} page=${page} max=${max}`);
      const listed = await listRmmPage(session as RmmSession, { entity, page, max });
      for (const row of listed.records) {
        if (!keeps(entity, row, request.filters)) continue;
        const record = out.check(row, toRecord(entity, row), REQUIRED[entity], 'uid');
        if (!record) continue;
        out.records.push(record);
      }
      if (!listed.more) done = true;
      page++;
    }
    return { ...out, nextCursor: done ? null : String(page), requests };
  },
};
