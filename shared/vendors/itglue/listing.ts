import { badResponse, expectOk, isRecord, numberAt, pathValue } from '../core/errors';
import { joinUrl } from '../core/urls';
import { type ItGlueSession, itglueBaseUrl, readItGlueMessage } from './index';

/**
 * Paged reads of IT Glue organisations, contacts and configurations for the sync engine
 * (docs/sync.md, "IT Glue"). JSON:API: `page[number]` (1-based) and `page[size]` (IT Glue's
 * maximum is 1,000), `sort`, and `filter[...]` parameters; the answer is `{data: [...], meta:
 * {next-page, total-count, ...}}`. Every request is a GET: the hub never writes to IT Glue.
 */

export type ItGlueListedEntity = 'organizations' | 'contacts' | 'configurations';

/** IT Glue's own maximum for `page[size]`. */
export const ITGLUE_MAX_PAGE_SIZE = 1000;

const OPERATION: Record<ItGlueListedEntity, string> = {
  organizations: 'sync.organizations',
  contacts: 'sync.contacts',
  configurations: 'sync.configurations',
};

export interface ItGluePageQuery {
  entity: ItGlueListedEntity;
  /** 1-based `page[number]`. */
  pageNumber: number;
  /** 1..1000, `page[size]`. */
  pageSize: number;
  /** `sort` and `filter[...]` parameters, already named as IT Glue names them. */
  params: Record<string, string>;
}

export interface ItGluePage {
  /** Each resource flattened: `{id, type, ...attributes}` (attribute names as IT Glue sends them, dasherized). */
  rows: Record<string, unknown>[];
  /** `meta.next-page`, or undefined on the last page. */
  nextPage: number | undefined;
}

export function itglueListUrl(session: ItGlueSession, query: ItGluePageQuery): string {
  return joinUrl(itglueBaseUrl(session.config), `/${query.entity}`, {
    ...query.params,
    'page[size]': String(Math.min(ITGLUE_MAX_PAGE_SIZE, Math.max(1, Math.floor(query.pageSize)))),
    'page[number]': String(Math.max(1, Math.floor(query.pageNumber))),
  });
}

/** A JSON:API resource as one flat record: the attributes beside `id` and `type`. */
function flatten(resource: unknown): Record<string, unknown> | undefined {
  if (!isRecord(resource)) return undefined;
  const attributes = isRecord(resource.attributes) ? resource.attributes : {};
  const flat: Record<string, unknown> = { ...attributes };
  // A resource without an id keeps none, so the engine counts it failed (missing_id).
  if (resource.id !== undefined && resource.id !== null) flat.id = resource.id;
  if (typeof resource.type === 'string') flat.type = resource.type;
  return flat;
}

/** One page of one listing, through the connector's vendor HTTP port (budget, rate gate, destinations). */
export async function listItGluePage(session: ItGlueSession, query: ItGluePageQuery): Promise<ItGluePage> {
  const operation = OPERATION[query.entity];
  const response = await session.http.request({
    operation,
    method: 'GET',
    url: itglueListUrl(session, query),
    headers: { 'x-api-key': session.credentials.apiKey, Accept: 'application/vnd.api+json' },
  });
  expectOk('itglue', operation, response, readItGlueMessage);
  const data = pathValue(response.body, 'data');
  if (!Array.isArray(data)) throw badResponse('itglue', operation, response, 'IT Glue answered without a data list');
  const next = numberAt(response.body, 'meta', 'next-page');
  return {
    rows: data.map(flatten).filter((r): r is Record<string, unknown> => r !== undefined),
    nextPage: next !== undefined && next > query.pageNumber ? next : undefined,
  };
}
