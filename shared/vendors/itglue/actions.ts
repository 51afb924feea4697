import { expectOk, pathValue, stringAt } from '../core/errors';
import { joinUrl } from '../core/urls';
import { type ItGlueSession, itglueBaseUrl, readItGlueMessage } from './index';

/**
 * IT Glue lookups for tool calls. Read-only by design: every request here is a GET, and this
 * module must never gain another method (IT Glue is documentation the hub reads, never writes).
 */

const JSON_API = 'application/vnd.api+json';

export interface ItGlueRecord {
  id: string;
  name: string;
}

async function lookup(
  session: ItGlueSession,
  operation: string,
  path: string,
  query: Record<string, string>,
): Promise<{ count: number; first: ItGlueRecord | null }> {
  const response = await session.http.request({
    operation,
    method: 'GET',
    url: joinUrl(itglueBaseUrl(session.config), path, { ...query, 'page[size]': '5' }),
    headers: { 'x-api-key': session.credentials.apiKey, Accept: JSON_API },
  });
  expectOk('itglue', operation, response, readItGlueMessage);
  const data = pathValue(response.body, 'data');
  const items = Array.isArray(data) ? data : [];
  const first = items[0];
  const id = stringAt(first, 'id');
  return {
    count: items.length,
    first: id ? { id, name: stringAt(first, 'attributes', 'name') ?? '' } : null,
  };
}

/** `GET /organizations?filter[name]=…` */
export function findOrganization(session: ItGlueSession, input: { name: string }) {
  return lookup(session, 'organization.lookup', '/organizations', { 'filter[name]': input.name });
}

/** `GET /configurations?filter[name]=…` (devices and other configuration items). */
export function findConfiguration(session: ItGlueSession, input: { name: string }) {
  return lookup(session, 'configuration.lookup', '/configurations', { 'filter[name]': input.name });
}
