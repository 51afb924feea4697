import type { VendorSession } from '../vendors/contract';
import type { Pax8Session } from '../vendors/pax8/index';
import { listPax8Page, PAX8_MAX_PAGE_SIZE, type Pax8Listing } from '../vendors/pax8/listing';
import type { ListedPage, PageRequest, SyncAdapter, SyncEntity, SyncedRecord } from './adapter';
import { PageRecords, stepsInOrder, text } from './data-quality';

/**
 * Pax8: clients are the partner's companies, contacts are each company's contacts (docs/sync.md,
 * "Pax8"). Pax8 lists have no last-updated filter or sort, so an incremental run reads everything
 * again and the record store's content hash counts what did not change as skipped.
 *
 * Clients: one engine page is ceil(size / 200) Pax8 pages; the cursor is the next `page` (from 0).
 * Contacts hang under a company, so their cursor is `<company page>.<index in it>.<contact page>`:
 * a page reads the company page (pages of min(200, batch size) companies, the same for the whole
 * run), then that company's contacts, moving on to the next company until the engine page is full
 * or the page has made CONTACT_CALLS_PER_PAGE requests.
 */

const ORDER: readonly SyncEntity[] = ['clients', 'contacts'];

const REQUIRED: Record<'clients' | 'contacts', readonly string[]> = {
  clients: ['name'],
  contacts: ['firstName', 'lastName', 'email'],
};

/** Bounds the requests of one contacts page when companies have few contacts each. */
const CONTACT_CALLS_PER_PAGE = 25;

function toRecord(entity: 'clients' | 'contacts', row: Record<string, unknown>): SyncedRecord | undefined {
  const vendorId = text(row.id);
  if (vendorId === undefined) return undefined;
  const index: SyncedRecord['index'] = {};
  const name =
    entity === 'clients'
      ? text(row.name)
      : [text(row.firstName), text(row.lastName)].filter((p) => p !== undefined && p !== '').join(' ');
  if (name !== undefined && name !== '') index.name = name;
  const status = text(row.status);
  if (status !== undefined) {
    index.statusId = status;
    index.inactive = status !== 'Active';
  }
  const companyId = text(row.companyId);
  if (entity === 'contacts' && companyId !== undefined) index.clientId = companyId;
  // Companies carry `updatedDate`; contacts have only `createdDate`, which is no watermark.
  return { vendorId, updatedAt: entity === 'clients' ? text(row.updatedDate) : undefined, fields: row, index };
}

function collect(entity: 'clients' | 'contacts', rows: Record<string, unknown>[], out: PageRecords): void {
  for (const row of rows) {
    const record = out.check(row, toRecord(entity, row), REQUIRED[entity]);
    if (record) out.records.push(record);
  }
}

function companiesListing(includeInactive: boolean | undefined): Pax8Listing {
  // Pax8 marks a company Inactive while it has no contacts, and Deleted once removed.
  return includeInactive ? { kind: 'companies' } : { kind: 'companies', status: 'Active' };
}

async function listClients(session: Pax8Session, request: PageRequest): Promise<ListedPage> {
  const size = Math.min(PAX8_MAX_PAGE_SIZE, request.size);
  const calls = Math.ceil(request.size / size);
  const listing = companiesListing(request.filters.includeInactive);
  let page = request.cursor === '' ? 0 : Number(request.cursor);
  const out = new PageRecords();
  const requests: string[] = [];
  let done = false;
  for (let call = 0; call < calls && !done; call++) {
    requests.push(
      `GET /companies page=${page} size=${size}${listing.kind === 'companies' && listing.status ? ` status=${listing.status}` : ''}`,
    );
    const read = await listPax8Page(session, listing, page, size);
    collect('clients', read.rows, out);
    page++;
    done = read.totalPages !== undefined ? page >= read.totalPages : read.rows.length < size;
  }
  return { ...out, nextCursor: done ? null : String(page), requests };
}

function readContactsCursor(cursor: string): { companyPage: number; index: number; contactPage: number } {
  const [companyPage, index, contactPage] = (cursor === '' ? '0.0.0' : cursor).split('.').map(Number);
  return { companyPage: companyPage ?? 0, index: index ?? 0, contactPage: contactPage ?? 0 };
}

async function listContacts(session: Pax8Session, request: PageRequest): Promise<ListedPage> {
  const size = Math.min(PAX8_MAX_PAGE_SIZE, request.size);
  const listing = companiesListing(request.filters.includeInactive);
  let { companyPage, index, contactPage } = readContactsCursor(request.cursor);
  const out = new PageRecords();
  const requests: string[] = [`GET /companies page=${companyPage} size=${size}`];
  const companies = await listPax8Page(session, listing, companyPage, size);
  const lastCompanyPage =
    companies.totalPages !== undefined ? companyPage + 1 >= companies.totalPages : companies.rows.length < size;
  let calls = 0;
  while (out.records.length < request.size && calls < CONTACT_CALLS_PER_PAGE && index < companies.rows.length) {
    const companyId = text(companies.rows[index]?.id);
    if (companyId === undefined) {
      index++;
      continue;
    }
    requests.push(`GET /companies/${companyId}/contacts page=${contactPage} size=${size}`);
    const read = await listPax8Page(session, { kind: 'contacts', companyId }, contactPage, size);
    calls++;
    // Pax8's contact has no company field; the record keeps the company it was listed under.
    collect(
      'contacts',
      read.rows.map((row) => ({ ...row, companyId: row.companyId ?? companyId })),
      out,
    );
    const more = read.totalPages !== undefined ? contactPage + 1 < read.totalPages : read.rows.length === size;
    if (more) contactPage++;
    else {
      index++;
      contactPage = 0;
    }
  }
  let nextCursor: string | null;
  if (index < companies.rows.length) nextCursor = `${companyPage}.${index}.${contactPage}`;
  else nextCursor = lastCompanyPage ? null : `${companyPage + 1}.0.0`;
  return { ...out, nextCursor, requests };
}

export const pax8SyncAdapter: SyncAdapter = {
  vendor: 'pax8',
  entities: ['clients', 'contacts'],
  steps: (entities) => stepsInOrder(ORDER, entities),
  listPage(session: VendorSession<unknown, unknown>, request: PageRequest): Promise<ListedPage> {
    if (request.step.entity === 'clients') return listClients(session as Pax8Session, request);
    if (request.step.entity === 'contacts') return listContacts(session as Pax8Session, request);
    throw new Error(`Pax8 has no ${request.step.entity} to sync`);
  },
};
