import { expectOk, isRecord, numberAt } from '../core/errors';
import { readHaloMessage } from './api';
import { type HaloSession, haloBearerCall } from './auth';
import { haloBaseUrl } from './config';

/**
 * Paged reads of Halo's clients, tickets, assets and users (contacts) for the sync engine
 * (docs/sync.md). Every parameter name below is in Halo's OpenAPI description (`GET /Client`,
 * `GET /Tickets`, `GET /Asset`, `GET /Users`; docs/vendor-fidelity.md lists them). Halo declares no response schema, so the
 * page body is read defensively: `{record_count, <list>: [...]}` or a bare array.
 */

/** `contacts` are what Halo calls users: the customers' end users, each under a client and site. */
export type HaloListedEntity = 'clients' | 'tickets' | 'assets' | 'contacts';

/** Halo's own maximum for `page_size` ("Maximum size: 100" on `GET /Tickets`). */
export const HALO_MAX_PAGE_SIZE = 100;

const PATHS: Record<HaloListedEntity, { path: string; list: string; operation: string }> = {
  clients: { path: '/api/Client', list: 'clients', operation: 'sync.clients' },
  tickets: { path: '/api/Tickets', list: 'tickets', operation: 'sync.tickets' },
  assets: { path: '/api/Asset', list: 'assets', operation: 'sync.assets' },
  contacts: { path: '/api/Users', list: 'users', operation: 'sync.contacts' },
};

/** The record field that holds when Halo last changed the record (its schemas: Faults, Area, Device, Users). */
export const HALO_LAST_UPDATED_FIELD: Record<HaloListedEntity, string> = {
  tickets: 'last_update',
  clients: 'alastupdate',
  assets: 'dlastupdate',
  contacts: 'ulastupdate',
};

export interface HaloPageQuery {
  entity: HaloListedEntity;
  /** 1-based, Halo's `page_no`. */
  pageNo: number;
  /** 1..100, Halo's `page_size`. */
  pageSize: number;
  /**
   * Extra query parameters, already named as Halo names them (`open_only`, `client_id`,
   * `datesearch`, `includeinactive`, `assettype_id`, `site_id`, `order`, `orderdesc` …).
   */
  params: Record<string, string>;
}

export interface HaloPage {
  records: Record<string, unknown>[];
  /** Halo's `record_count` when it sent one (the total matching the filters, not the page). */
  recordCount: number | undefined;
}

export function haloListUrl(session: HaloSession, query: HaloPageQuery): string {
  const target = PATHS[query.entity];
  const search = new URLSearchParams({
    pageinate: 'true',
    page_size: String(Math.min(HALO_MAX_PAGE_SIZE, Math.max(1, Math.floor(query.pageSize)))),
    page_no: String(Math.max(1, Math.floor(query.pageNo))),
    ...query.params,
  });
  return `${haloBaseUrl(session.config)}${target.path}?${search.toString()}`;
}

/** One page of one entity, through the connector's vendor HTTP port (budgets, rate gates, destinations). */
export async function listHaloPage(session: HaloSession, query: HaloPageQuery): Promise<HaloPage> {
  const target = PATHS[query.entity];
  // Client credentials or the grant an admin authorised in a browser, as configured (auth.ts).
  const { response } = await haloBearerCall(session, (token) => ({
    operation: target.operation,
    method: 'GET',
    url: haloListUrl(session, query),
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  }));
  expectOk('halopsa', target.operation, response, readHaloMessage);
  const body = response.body;
  const rows = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body[target.list]) ? body[target.list] : [];
  return {
    records: (rows as unknown[]).filter(isRecord),
    recordCount: isRecord(body) ? numberAt(body, 'record_count') : undefined,
  };
}
