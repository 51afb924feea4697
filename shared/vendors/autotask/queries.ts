import { z } from 'zod';
import { VendorError } from '../contract';
import { badResponse, expectOk, isRecord, numberAt, pathValue, stringAt } from '../core/errors';
import { type AutotaskSession, authHeaders, autotaskRequest, readAutotaskMessage } from './index';

/**
 * Autotask reads through its query API (REST developer help, "Basic query calls"): `POST
 * /V1.0/{Entity}/query` with `{filter, MaxRecords, IncludeFields}` answers `{items, pageDetails}`;
 * while `pageDetails.nextPageUrl` is set, a GET of that URL (same zone, same three auth headers)
 * gives the next page. Autotask serves at most 500 records a page; the hub stops after
 * AUTOTASK_MAX_PAGES pages (docs/tools.md) so one SOP step cannot spend the hour's request budget.
 */
export const AUTOTASK_PAGE_SIZE = 500;
export const AUTOTASK_MAX_PAGES = 4;

const FIELD = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]{0,99}$/, 'an Autotask field name (letters and digits)')
  .describe('Entity field name, e.g. status or companyID.');
const VALUE = z.union([z.string().max(500), z.number(), z.boolean()]);

/** One condition of Autotask's filter format; `exist`/`notExist` take no value, `in`/`notIn` a list. */
const condition = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.enum(['eq', 'noteq', 'gt', 'gte', 'lt', 'lte', 'beginsWith', 'endsWith', 'contains']),
    field: FIELD,
    value: VALUE,
    udf: z.boolean().optional(),
  }),
  z.strictObject({ op: z.enum(['exist', 'notExist']), field: FIELD, udf: z.boolean().optional() }),
  z.strictObject({
    op: z.enum(['in', 'notIn']),
    field: FIELD,
    value: z.array(VALUE).min(1).max(500),
    udf: z.boolean().optional(),
  }),
]);

/** A condition or one `and`/`or` group of conditions (the top-level list is an implicit `and`). */
export const autotaskFilterSchema = z
  .array(z.union([condition, z.strictObject({ op: z.enum(['and', 'or']), items: z.array(condition).min(1).max(50) })]))
  .min(1)
  .max(50)
  .describe(
    'Autotask query filter: [{op, field, value}] with op eq, noteq, gt, gte, lt, lte, beginsWith, endsWith, contains, exist, notExist, in, notIn, or {op: "and"|"or", items: [...]}.',
  );
export type AutotaskFilter = z.infer<typeof autotaskFilterSchema>;

export type QueryEntity = 'Tickets' | 'Companies' | 'Resources' | 'Contacts';

export interface AutotaskQuery {
  entity: QueryEntity;
  filter: AutotaskFilter;
  /** Fields to return (the id is always there); empty means all of the entity's fields. */
  includeFields: readonly string[];
  /** Stop after this many records (never more than the page cap allows). */
  maxRecords: number;
  /** Pages read at most (default AUTOTASK_MAX_PAGES, the tools' cap); entity sync reads more. */
  maxPages?: number;
}

export interface AutotaskQueryResult {
  items: Array<Record<string, unknown>>;
  capped: boolean;
}

export function readQueryPage(
  operation: string,
  response: Parameters<typeof badResponse>[2],
): { items: Array<Record<string, unknown>>; next: string | undefined } {
  const items = pathValue(response.body, 'items');
  if (!Array.isArray(items)) throw badResponse('autotask', operation, response, 'The query answered without items');
  const next = stringAt(response.body, 'pageDetails', 'nextPageUrl');
  return { items: items.filter(isRecord), next: next || undefined };
}

/** The next-page URL only if it points back into the zone the session talks to (credentials ride along). */
export function inZone(link: string, zoneRoot: string): boolean {
  try {
    const next = new URL(link);
    const zone = new URL(zoneRoot);
    return next.origin === zone.origin && next.pathname.toLowerCase().startsWith(zone.pathname.toLowerCase());
  } catch {
    return false;
  }
}

/** The page a `nextPageUrl` points to: a GET with the three auth headers (callers check inZone first). */
export async function readNextQueryPage(
  session: AutotaskSession,
  operation: string,
  url: string,
): Promise<ReturnType<typeof readQueryPage>> {
  const response = await session.http.request({
    operation,
    method: 'GET',
    url,
    headers: authHeaders(session.credentials),
  });
  expectOk('autotask', operation, response, readAutotaskMessage);
  return readQueryPage(operation, response);
}

export async function queryEntities(session: AutotaskSession, query: AutotaskQuery): Promise<AutotaskQueryResult> {
  const operation = `${query.entity.toLowerCase()}.query`;
  const maxPages = query.maxPages ?? AUTOTASK_MAX_PAGES;
  const limit = Math.min(query.maxRecords, AUTOTASK_PAGE_SIZE * maxPages);
  const { response, zone } = await autotaskRequest(session, {
    operation,
    method: 'POST',
    path: `${query.entity}/query`,
    json: {
      filter: query.filter,
      MaxRecords: Math.min(limit, AUTOTASK_PAGE_SIZE),
      ...(query.includeFields.length > 0 ? { IncludeFields: ['id', ...query.includeFields] } : {}),
    },
  });
  let page = readQueryPage(operation, response);
  const items = [...page.items];
  for (let pages = 1; page.next && items.length < limit && pages < maxPages; pages++) {
    if (!inZone(page.next, zone.url)) break;
    page = await readNextQueryPage(session, operation, page.next);
    items.push(...page.items);
  }
  return { items: items.slice(0, limit), capped: items.length > limit || page.next !== undefined };
}

/**
 * Every record a query matches, up to `maxPages` pages, or an error: for callers that act on the
 * whole list (entity sync's matching), a list cut short (the page cap, or a next page outside the
 * zone) must not pass for the whole one.
 */
export async function queryAll(
  session: AutotaskSession,
  query: Omit<AutotaskQuery, 'maxRecords' | 'maxPages'> & { maxPages: number },
): Promise<Array<Record<string, unknown>>> {
  const result = await queryEntities(session, { ...query, maxRecords: AUTOTASK_PAGE_SIZE * query.maxPages });
  if (result.capped)
    throw new VendorError({
      vendor: 'autotask',
      operation: `${query.entity.toLowerCase()}.query`,
      kind: 'bad_response',
      vendorMessage: `The ${query.entity} list is longer than this reads (${query.maxPages} pages of ${AUTOTASK_PAGE_SIZE}).`,
    });
  return result.items;
}

/** The id every Autotask entity has, as text (tool outputs carry ids as text). */
export function entityId(item: Record<string, unknown>): string {
  const id = numberAt(item, 'id');
  return id === undefined ? '' : String(id);
}
