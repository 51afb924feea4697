import { nowMs } from '../clock';
import type { VendorSession } from '../vendors/contract';
import type { ItGlueSession } from '../vendors/itglue/index';
import { ITGLUE_MAX_PAGE_SIZE, type ItGlueListedEntity, listItGluePage } from '../vendors/itglue/listing';
import type { ListedPage, PageRequest, SyncAdapter, SyncEntity, SyncedRecord, SyncFilters } from './adapter';
import { PageRecords, stepsInOrder, text } from './data-quality';

/**
 * IT Glue: clients are organisations, contacts are contacts, assets are configurations
 * (docs/sync.md, "IT Glue"). An engine page (≤ 500) is one IT Glue page, whose maximum is 1,000.
 * The cursor is the next `page[number]`; an incremental organisations step also carries the upper
 * end of its `filter[updated_at]` range (`<page>@<to>`), so every page of the step asks for the
 * same range and a record changed during the run is left for the next run instead of shifting
 * the pages. IT Glue is read only for the hub: this adapter only lists.
 */

const LISTING: Partial<Record<SyncEntity, ItGlueListedEntity>> = {
  clients: 'organizations',
  contacts: 'contacts',
  assets: 'configurations',
};

const ORDER: readonly SyncEntity[] = ['clients', 'contacts', 'assets'];

const REQUIRED: Record<ItGlueListedEntity, readonly string[]> = {
  organizations: ['name'],
  contacts: ['first-name', 'organization-id'],
  configurations: ['name', 'organization-id'],
};

/** The attribute that says when IT Glue last changed the resource. */
const UPDATED_AT = 'updated-at';

function listing(entity: SyncEntity): ItGlueListedEntity {
  const found = LISTING[entity];
  if (!found) throw new Error(`IT Glue has no ${entity} to sync`);
  return found;
}

interface Cursor {
  page: number;
  /** The upper end of an incremental organisations step's `filter[updated_at]` range. */
  to: string | undefined;
}

function readCursor(cursor: string): Cursor {
  if (cursor === '') return { page: 1, to: undefined };
  const at = cursor.indexOf('@');
  const page = Number(at < 0 ? cursor : cursor.slice(0, at));
  return { page: Number.isInteger(page) && page > 0 ? page : 1, to: at < 0 ? undefined : cursor.slice(at + 1) };
}

/**
 * IT Glue's query parameters for a step (names from IT Glue's API reference). Only organisations
 * take `filter[updated_at]`; contacts and configurations have no last-updated filter, so their
 * incremental steps read everything and the record store's content hash skips what did not change.
 */
export function itglueParams(
  entity: ItGlueListedEntity,
  filters: SyncFilters,
  since: string | undefined,
  to: string | undefined,
): Record<string, string> {
  const params: Record<string, string> = {};
  if (entity === 'organizations' && since !== undefined && to !== undefined) {
    params['filter[updated_at]'] = `${since},${to}`;
    params.sort = 'updated_at';
  } else {
    params.sort = 'id';
  }
  if (entity !== 'organizations' && filters.clientId !== undefined)
    params['filter[organization_id]'] = String(filters.clientId);
  if (entity === 'configurations' && !filters.includeInactive) params['filter[archived]'] = 'false';
  return params;
}

function toRecord(entity: ItGlueListedEntity, row: Record<string, unknown>): SyncedRecord | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  const index: SyncedRecord['index'] = {};
  const name =
    entity === 'contacts'
      ? [text(row['first-name']), text(row['last-name'])].filter((p) => p !== undefined && p !== '').join(' ')
      : text(row.name);
  if (name !== undefined && name !== '') index.name = name;
  const clientId = text(row['organization-id']);
  if (clientId !== undefined && entity !== 'organizations') index.clientId = clientId;
  const statusId = text(entity === 'configurations' ? row['configuration-status-id'] : row['organization-status-id']);
  if (statusId !== undefined && entity !== 'contacts') index.statusId = statusId;
  const typeId = text(entity === 'configurations' ? row['configuration-type-id'] : row['contact-type-id']);
  if (typeId !== undefined && entity !== 'organizations') index.typeId = typeId;
  if (typeof row.archived === 'boolean') index.inactive = row.archived;
  return { vendorId, updatedAt: text(row[UPDATED_AT]), fields: row, index };
}

export const itglueSyncAdapter: SyncAdapter = {
  vendor: 'itglue',
  entities: ['clients', 'contacts', 'assets'],
  steps: (entities) => stepsInOrder(ORDER, entities),
  async listPage(session: VendorSession<unknown, unknown>, request: PageRequest): Promise<ListedPage> {
    const entity = listing(request.step.entity);
    const cursor = readCursor(request.cursor);
    // The range's upper end is fixed on the step's first page and travels in the cursor.
    const to =
      entity === 'organizations' && request.since !== undefined
        ? (cursor.to ?? new Date(nowMs()).toISOString())
        : undefined;
    const params = itglueParams(entity, request.filters, request.since, to);
    const pageSize = Math.min(ITGLUE_MAX_PAGE_SIZE, request.size);
    const page = await listItGluePage(session as ItGlueSession, {
      entity,
      pageNumber: cursor.page,
      pageSize,
      params,
    });
    const out = new PageRecords();
    for (const row of page.rows) {
      const record = out.check(row, toRecord(entity, row), REQUIRED[entity]);
      if (!record) continue;
      out.records.push(record);
    }
    const requests = [
      `GET /${entity} page[number]=${cursor.page} page[size]=${pageSize} ${new URLSearchParams(params).toString()}`,
    ];
    const nextCursor =
      page.nextPage === undefined ? null : to !== undefined ? `${page.nextPage}@${to}` : String(page.nextPage);
    return { ...out, nextCursor, requests };
  },
};
