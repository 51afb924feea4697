import { VendorError } from '../contract';
import { badResponse, isRecord, stringAt } from '../core/errors';
import { type RmmSession, rmmCall } from './index';

/**
 * One Datto RMM site, read and updated by its uid (entity sync, docs/entity-sync.md):
 * `GET /api/v2/site/{siteUid}` and `POST /api/v2/site/{siteUid}` with a `SiteRequest`
 * (`name` required; `description`, `notes`, `onDemand`, `splashtopAutoInstall`).
 */

const segment = (value: string) => encodeURIComponent(value);

/** The site, or undefined when Datto RMM answers 404. */
export async function getRmmSite(session: RmmSession, siteUid: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await rmmCall(session, {
      operation: 'site.get',
      method: 'GET',
      path: `/api/v2/site/${segment(siteUid)}`,
    });
    if (!isRecord(response.body) || stringAt(response.body, 'uid') === undefined) {
      throw badResponse('datto-rmm', 'site.get', response, 'Datto RMM answered without a site');
    }
    return response.body;
  } catch (error) {
    if (error instanceof VendorError && error.kind === 'not_found') return undefined;
    throw error;
  }
}

/** The fields of a `SiteRequest` the hub sends back; the rest of the site is the API's to keep. */
export interface RmmSiteUpdate {
  name: string;
  description?: string;
  notes?: string;
  onDemand?: boolean;
  splashtopAutoInstall?: boolean;
}

export async function updateRmmSite(session: RmmSession, siteUid: string, update: RmmSiteUpdate): Promise<void> {
  await rmmCall(session, {
    operation: 'site.update',
    method: 'POST',
    path: `/api/v2/site/${segment(siteUid)}`,
    json: update,
  });
}
