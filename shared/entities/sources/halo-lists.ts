import { expectOk, isRecord } from '../../vendors/core/errors';
import { readHaloMessage } from '../../vendors/halopsa/api';
import { type HaloSession, haloBearerCall } from '../../vendors/halopsa/auth';
import { haloBaseUrl } from '../../vendors/halopsa/config';
import { HALO_MAX_PAGE_SIZE, type HaloListedEntity, listHaloPage } from '../../vendors/halopsa/listing';

/** Stops a runaway listing: 20 pages of 100 records. */
const MAX_PAGES = 20;

/**
 * Every record of one Halo list, oldest id first, paged like the sync engine's listing, each
 * turned into what entity sync keeps (records `read` cannot use are skipped).
 */
export async function listAllHalo<T>(
  session: HaloSession,
  entity: HaloListedEntity,
  read: (row: Record<string, unknown>) => T | undefined,
): Promise<T[]> {
  const out: T[] = [];
  const params = { order: 'id', orderdesc: 'false' };
  for (let pageNo = 1; pageNo <= MAX_PAGES; pageNo++) {
    const page = await listHaloPage(session, { entity, pageNo, pageSize: HALO_MAX_PAGE_SIZE, params });
    for (const row of page.records) {
      const item = read(row);
      if (item !== undefined) out.push(item);
    }
    if (page.records.length < HALO_MAX_PAGE_SIZE) break;
  }
  return out;
}

/** A Halo write: a POST of an array of `{id, …fields}` to the entity's path (docs/vendors.md). */
export async function haloWrite(
  session: HaloSession,
  operation: string,
  path: string,
  row: Record<string, unknown>,
): Promise<void> {
  const { response } = await haloBearerCall(session, (token) => ({
    operation,
    method: 'POST',
    url: `${haloBaseUrl(session.config)}${path}`,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    json: [row],
  }));
  expectOk('halopsa', operation, response, readHaloMessage);
}

/**
 * One Halo record by id (`GET /api/Client/{id}`, `GET /api/Users/{id}`): one request instead of a
 * walk of the list. Not found (404) is a record that is gone. Halo answers an inactive record
 * here too, so an inactive client or user stays linked: inactive is not deleted.
 */
export async function getHaloOne<T>(
  session: HaloSession,
  operation: string,
  path: string,
  id: string,
  read: (row: Record<string, unknown>) => T | undefined,
): Promise<T | undefined> {
  // Halo's ids are whole numbers; anything else cannot name a record.
  if (!/^[0-9]+$/.test(id)) return undefined;
  const { response } = await haloBearerCall(session, (token) => ({
    operation,
    method: 'GET',
    url: `${haloBaseUrl(session.config)}${path}/${id}`,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
  }));
  if (response.status === 404) return undefined;
  expectOk('halopsa', operation, response, readHaloMessage);
  return isRecord(response.body) ? read(response.body) : undefined;
}
