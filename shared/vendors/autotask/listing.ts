import { VendorError } from '../contract';
import { type AutotaskSession, autotaskRequest, zoneUrl } from './index';
import { type AutotaskFilter, inZone, readNextQueryPage, readQueryPage } from './queries';

/**
 * Paged reads of Autotask's companies, contacts, tickets and devices for the sync engine
 * (docs/sync.md, "Autotask"). The first page is `POST /V1.0/{Entity}/query` with
 * `{filter, MaxRecords}`; each later page is a GET of the `pageDetails.nextPageUrl` Autotask
 * returned, which carries the search and the paging state, so the URL itself is the cursor a run
 * keeps between pages (and resumes from after a crash).
 */

export type AutotaskListedEntity = 'Companies' | 'Contacts' | 'Tickets' | 'ConfigurationItems';

/** Autotask's own maximum for `MaxRecords` (REST "Basic query calls": at most 500 a page). */
export const AUTOTASK_MAX_RECORDS = 500;

/**
 * The field that holds when Autotask last changed the record (REST best practices, "query for
 * changed records"): Companies and Tickets expose only `lastActivityDate`; Contacts have both and
 * `lastModifiedDate` is the record's own change; devices (ConfigurationItems) name theirs
 * `lastModifiedTime`. All are UTC datetimes.
 */
export const AUTOTASK_LAST_UPDATED_FIELD: Record<AutotaskListedEntity, string> = {
  Companies: 'lastActivityDate',
  Contacts: 'lastModifiedDate',
  Tickets: 'lastActivityDate',
  ConfigurationItems: 'lastModifiedTime',
};

export interface AutotaskPageQuery {
  entity: AutotaskListedEntity;
  filter: AutotaskFilter;
  /** 1..500. */
  maxRecords: number;
  /** '' for the first page, else the `nextPageUrl` of the page before. */
  nextPageUrl: string;
}

export interface AutotaskPage {
  records: Record<string, unknown>[];
  /** undefined on the last page. */
  nextPageUrl: string | undefined;
}

/** One page of one entity, through the connector's vendor HTTP port (budget, thread gate, destinations). */
export async function listAutotaskPage(session: AutotaskSession, query: AutotaskPageQuery): Promise<AutotaskPage> {
  const operation = `sync.${query.entity.toLowerCase()}`;
  if (query.nextPageUrl === '') {
    const { response } = await autotaskRequest(session, {
      operation,
      method: 'POST',
      path: `${query.entity}/query`,
      json: {
        filter: query.filter,
        MaxRecords: Math.min(AUTOTASK_MAX_RECORDS, Math.max(1, Math.floor(query.maxRecords))),
      },
    });
    const page = readQueryPage(operation, response);
    return { records: page.items, nextPageUrl: page.next };
  }
  const zone = await zoneUrl(session);
  // The credentials ride along with the next-page GET: only into the zone the session talks to.
  if (!inZone(query.nextPageUrl, zone.url)) {
    throw new VendorError({
      vendor: 'autotask',
      operation,
      kind: 'bad_response',
      vendorMessage: 'The saved next-page URL is not in the account zone (the zone moved); start a new run.',
    });
  }
  const page = await readNextQueryPage(session, operation, query.nextPageUrl);
  return { records: page.items, nextPageUrl: page.next };
}
