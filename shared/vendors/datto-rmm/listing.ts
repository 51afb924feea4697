import { badResponse, isRecord, numberAt, pathValue, stringAt } from '../core/errors';
import { type RmmSession, rmmCall } from './index';

/**
 * Paged reads of Datto RMM sites and devices for the sync engine and entity sync (docs/sync.md,
 * "Datto RMM"): `GET /api/v2/account/sites` and `/api/v2/account/devices` with `page` (from 0) and
 * `max`. The API pages at most 250 records whatever `max` asks, and says there is more with a
 * non-empty `pageDetails.nextPageUrl`; the next request is built here from the integration's base
 * URL and the page number, never taken from that link, so the bearer token only goes to the
 * integration's own host.
 */

export type RmmListedEntity = 'sites' | 'devices';

/** The API's largest page. */
export const RMM_MAX_PAGE = 250;

const PATHS: Record<RmmListedEntity, { path: string; operation: string }> = {
  sites: { path: '/api/v2/account/sites', operation: 'sync.sites' },
  devices: { path: '/api/v2/account/devices', operation: 'sync.devices' },
};

export interface RmmPage {
  records: Record<string, unknown>[];
  /** The API said there is a page after this one. */
  more: boolean;
  totalCount: number | undefined;
}

/** Page `page` (from 0) of `max` (1..250) sites or devices. */
export async function listRmmPage(
  session: RmmSession,
  query: { entity: RmmListedEntity; page: number; max: number },
): Promise<RmmPage> {
  const target = PATHS[query.entity];
  const max = Math.min(RMM_MAX_PAGE, Math.max(1, Math.floor(query.max)));
  const response = await rmmCall(session, {
    operation: target.operation,
    method: 'GET',
    path: target.path,
    query: { page: String(Math.max(0, Math.floor(query.page))), max: String(max) },
  });
  const list = pathValue(response.body, query.entity);
  if (!Array.isArray(list)) {
    throw badResponse('datto-rmm', target.operation, response, `Datto RMM answered without a ${query.entity} list`);
  }
  const next = stringAt(response.body, 'pageDetails', 'nextPageUrl');
  return {
    records: list.filter(isRecord),
    more: next !== undefined && next !== '' && list.length > 0,
    totalCount: isRecord(response.body) ? numberAt(response.body, 'pageDetails', 'totalCount') : undefined,
  };
}
