import { expectOk } from '../../vendors/core/errors';
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
