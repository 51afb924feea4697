import type { AutotaskSession } from '../vendors/autotask/index';
import {
  AUTOTASK_LAST_UPDATED_FIELD,
  AUTOTASK_MAX_RECORDS,
  type AutotaskListedEntity,
  listAutotaskPage,
} from '../vendors/autotask/listing';
import type { AutotaskFilter } from '../vendors/autotask/queries';
import type { VendorSession } from '../vendors/contract';
import type { ListedPage, PageRequest, SyncAdapter, SyncEntity, SyncedRecord, SyncFilters, SyncStep } from './adapter';
import { PageRecords, psaStepsInOrder, text } from './data-quality';

/**
 * Autotask PSA: clients (Companies), contacts (Contacts), tickets (Tickets) and assets
 * (ConfigurationItems) through the query API (docs/sync.md, "Autotask"). One engine page is one
 * Autotask page (`MaxRecords` = the batch size, at most 500, Autotask's own limit); the cursor is
 * the `nextPageUrl` Autotask returned. Incremental runs filter on the entity's last-updated field
 * (`gte` the watermark), so paging stays Autotask's own id order and nothing is cut short.
 */

const ENTITY: Record<SyncEntity, AutotaskListedEntity> = {
  clients: 'Companies',
  contacts: 'Contacts',
  tickets: 'Tickets',
  assets: 'ConfigurationItems',
};

const REQUIRED: Record<SyncEntity, readonly string[]> = {
  clients: ['companyName'],
  contacts: ['firstName', 'lastName', 'companyID'],
  tickets: ['title', 'companyID'],
  assets: ['companyID', 'productID'],
};

/** Autotask's ticket status picklist value for Complete (the one closed status every database has). */
export const AUTOTASK_STATUS_COMPLETE = 5;

const ORDER: readonly SyncEntity[] = ['clients', 'contacts', 'tickets', 'assets'];

/** Autotask sends UTC datetimes; stored and compared as ISO strings so watermarks order as text. */
function instant(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The Autotask filter for a step: the request's filters as Autotask names the fields. */
export function autotaskFilter(step: SyncStep, filters: SyncFilters, since: string | undefined): AutotaskFilter {
  const entity = step.entity;
  const filter: AutotaskFilter = [];
  if (since !== undefined) filter.push({ op: 'gte', field: AUTOTASK_LAST_UPDATED_FIELD[ENTITY[entity]], value: since });
  if (entity === 'tickets') {
    if (step.variant === 'open') filter.push({ op: 'noteq', field: 'status', value: AUTOTASK_STATUS_COMPLETE });
    if (step.variant === 'closed') filter.push({ op: 'eq', field: 'status', value: AUTOTASK_STATUS_COMPLETE });
    const dateField = filters.dateField === 'closed' ? 'completedDate' : 'createDate';
    if (filters.from !== undefined) filter.push({ op: 'gte', field: dateField, value: filters.from });
    if (filters.to !== undefined) filter.push({ op: 'lte', field: dateField, value: filters.to });
  }
  if (entity !== 'clients') {
    if (filters.clientId !== undefined) filter.push({ op: 'eq', field: 'companyID', value: filters.clientId });
    if (filters.siteId !== undefined) filter.push({ op: 'eq', field: 'companyLocationID', value: filters.siteId });
  }
  if (!filters.includeInactive && entity !== 'tickets') {
    // Contacts carry isActive as 1/0; companies and devices as a boolean (the entities' field types).
    filter.push({ op: 'eq', field: 'isActive', value: entity === 'contacts' ? 1 : true });
  }
  if (entity === 'assets' && filters.assetTypeIds !== undefined && filters.assetTypeIds.length > 0) {
    filter.push({ op: 'in', field: 'configurationItemType', value: filters.assetTypeIds });
  }
  // Autotask refuses a query without a condition: "every record" is id ≥ 0.
  if (filter.length === 0) filter.push({ op: 'gte', field: 'id', value: 0 });
  return filter;
}

function nameOf(entity: SyncEntity, row: Record<string, unknown>): string | undefined {
  switch (entity) {
    case 'clients':
      return text(row.companyName);
    case 'contacts': {
      const parts = [text(row.firstName), text(row.lastName)].filter((p): p is string => p !== undefined && p !== '');
      return parts.length > 0 ? parts.join(' ') : undefined;
    }
    case 'tickets':
      return text(row.title);
    case 'assets':
      return text(row.referenceTitle) ?? text(row.serialNumber);
  }
}

function toRecord(entity: SyncEntity, row: Record<string, unknown>): SyncedRecord | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  const index: SyncedRecord['index'] = {};
  const name = nameOf(entity, row);
  if (name !== undefined) index.name = name;
  const clientId = text(row.companyID);
  if (clientId !== undefined && entity !== 'clients') index.clientId = clientId;
  const siteId = text(row.companyLocationID);
  if (siteId !== undefined && entity !== 'clients') index.siteId = siteId;
  const statusId = text(row.status);
  if (statusId !== undefined && entity === 'tickets') index.statusId = statusId;
  const typeId = text(entity === 'assets' ? row.configurationItemType : entity === 'clients' ? row.companyType : null);
  if (typeId !== undefined) index.typeId = typeId;
  if (typeof row.isActive === 'boolean') index.inactive = !row.isActive;
  else if (typeof row.isActive === 'number') index.inactive = row.isActive === 0;
  const updatedAt = instant(row[AUTOTASK_LAST_UPDATED_FIELD[ENTITY[entity]]]);
  return { vendorId, updatedAt, fields: row, index };
}

export const autotaskSyncAdapter: SyncAdapter = {
  vendor: 'autotask',
  entities: ['clients', 'contacts', 'tickets', 'assets'],
  steps: (entities, filters) => psaStepsInOrder(ORDER, entities, filters),
  async listPage(session: VendorSession<unknown, unknown>, request: PageRequest): Promise<ListedPage> {
    const { entity } = request.step;
    const target = ENTITY[entity];
    const maxRecords = Math.min(AUTOTASK_MAX_RECORDS, request.size);
    const filter = autotaskFilter(request.step, request.filters, request.since);
    const requests = [
      request.cursor === ''
        ? `POST ${target}/query MaxRecords=${maxRecords} filter=${JSON.stringify(filter)}`
        : `GET ${target}/query/next (nextPageUrl)`,
    ];
    const page = await listAutotaskPage(session as AutotaskSession, {
      entity: target,
      filter,
      maxRecords,
      nextPageUrl: request.cursor,
    });
    const out = new PageRecords();
    for (const row of page.records) {
      const record = out.check(row, toRecord(entity, row), REQUIRED[entity]);
      if (!record) continue;
      out.records.push(record);
    }
    return { ...out, nextCursor: page.nextPageUrl ?? null, requests };
  },
};
