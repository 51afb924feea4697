import { badResponse, expectOk, isRecord, numberAt, pathValue, stringAt } from '../core/errors';
import { joinUrl } from '../core/urls';
import { type ItGlueSession, itglueBaseUrl, readItGlueMessage } from './index';

/**
 * IT Glue lists and the password reveal for tool calls. Read-only like the rest of this folder:
 * every request is a GET. Lists page with JSON:API `page[number]` / `page[size]` and
 * `meta.next-page`, and stop after ITGLUE_MAX_PAGES pages of ITGLUE_PAGE_SIZE (docs/tools.md).
 * A password list never carries a password value (this module drops the attribute if IT Glue sends
 * one); only `revealPassword` reads it, and its tool always waits for an approval.
 */
export const ITGLUE_PAGE_SIZE = 100;
export const ITGLUE_MAX_PAGES = 10;

const JSON_API = 'application/vnd.api+json';

async function get(session: ItGlueSession, operation: string, path: string, query: Record<string, string>) {
  const response = await session.http.request({
    operation,
    method: 'GET',
    url: joinUrl(itglueBaseUrl(session.config), path, query),
    headers: { 'x-api-key': session.credentials.apiKey, Accept: JSON_API },
  });
  expectOk('itglue', operation, response, readItGlueMessage);
  return response;
}

/** One JSON:API resource as the tools see it: its id, name and a few flat attributes. */
export interface ItGlueItem {
  id: string;
  name: string;
  attributes: Record<string, string | number | boolean | null>;
}

const NEVER_LISTED = new Set(['password', 'otp-secret']);

function readItem(raw: unknown, keep: readonly string[]): ItGlueItem | undefined {
  const id = stringAt(raw, 'id');
  if (!id) return undefined;
  const attrs = pathValue(raw, 'attributes');
  const attributes: ItGlueItem['attributes'] = {};
  for (const key of keep) {
    if (NEVER_LISTED.has(key)) continue;
    const value = isRecord(attrs) ? attrs[key] : undefined;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[key] = value;
    else if (value === null) attributes[key] = null;
  }
  return { id, name: stringAt(attrs, 'name') ?? '', attributes };
}

async function list(
  session: ItGlueSession,
  operation: string,
  path: string,
  filters: Record<string, string>,
  keep: readonly string[],
): Promise<{ items: ItGlueItem[]; capped: boolean }> {
  const items: ItGlueItem[] = [];
  let pageNumber: number | undefined = 1;
  let pages = 0;
  while (pageNumber !== undefined && pages < ITGLUE_MAX_PAGES) {
    const response = await get(session, operation, path, {
      ...filters,
      'page[size]': String(ITGLUE_PAGE_SIZE),
      'page[number]': String(pageNumber),
    });
    const data = pathValue(response.body, 'data');
    if (!Array.isArray(data)) throw badResponse('itglue', operation, response, 'IT Glue answered without a data list');
    for (const raw of data) {
      const item = readItem(raw, keep);
      if (item) items.push(item);
    }
    pages += 1;
    const next = numberAt(response.body, 'meta', 'next-page');
    pageNumber = next !== undefined && next > pageNumber ? next : undefined;
  }
  return { items, capped: pageNumber !== undefined };
}

/** `GET /organizations` (optionally `filter[name]`). */
export function listOrganizations(session: ItGlueSession, input: { name?: string | undefined }) {
  return list(session, 'organizations.list', '/organizations', input.name ? { 'filter[name]': input.name } : {}, [
    'organization-status-name',
    'organization-type-name',
  ]);
}

/** `GET /configurations?filter[organization_id]=…` (devices and other configuration items of one organisation). */
export function listConfigurations(session: ItGlueSession, input: { organizationId: string }) {
  return list(session, 'configurations.list', '/configurations', { 'filter[organization_id]': input.organizationId }, [
    'configuration-type-name',
    'serial-number',
    'configuration-status-name',
  ]);
}

/** `GET /organizations/{id}/relationships/passwords`: names and categories only, never the value. */
export function listPasswords(session: ItGlueSession, input: { organizationId: string }) {
  return list(
    session,
    'passwords.list',
    `/organizations/${encodeURIComponent(input.organizationId)}/relationships/passwords`,
    {},
    ['username', 'password-category-name', 'url'],
  );
}

/** `GET /passwords/{id}?show_password=true`: the one request that reads a password value. */
export async function revealPassword(
  session: ItGlueSession,
  input: { passwordId: string },
): Promise<{ id: string; name: string; username: string; password: string }> {
  const response = await get(session, 'password.reveal', `/passwords/${encodeURIComponent(input.passwordId)}`, {
    show_password: 'true',
  });
  const data = pathValue(response.body, 'data');
  const password = stringAt(data, 'attributes', 'password');
  if (password === undefined) {
    throw badResponse('itglue', 'password.reveal', response, 'IT Glue answered without the password value');
  }
  return {
    id: stringAt(data, 'id') ?? input.passwordId,
    name: stringAt(data, 'attributes', 'name') ?? '',
    username: stringAt(data, 'attributes', 'username') ?? '',
    password,
  };
}
