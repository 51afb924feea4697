import { badResponse, isRecord, pathValue, stringAt } from '../core/errors';
import { type RmmSession, rmmCall } from './index';

/**
 * Datto RMM reads for tool calls: sites, devices, one device and open alerts (docs/tools.md).
 * Every request here is a GET. Lists page the API's way — `page` (from 0) and `max` — and go on
 * while the answer's `pageDetails.nextPageUrl` is non-empty, at most RMM_MAX_PAGES pages of
 * RMM_PAGE_SIZE (250 is the API's largest page). The next request is built here from the base URL
 * and the page number, never taken from the link, so the bearer token only goes to the integration's
 * own host.
 */
export const RMM_PAGE_SIZE = 250;
export const RMM_MAX_PAGES = 4;

export type RmmRecord = Record<string, unknown>;

function get(session: RmmSession, operation: string, path: string, query: Record<string, string> = {}) {
  return rmmCall(session, { operation, method: 'GET', path, query });
}

/** One page's list (`sites`, `devices`, `alerts`) and whether the API says there is another. */
async function readPages(
  session: RmmSession,
  operation: string,
  path: string,
  listKey: 'sites' | 'devices' | 'alerts',
  filters: Record<string, string>,
): Promise<{ items: RmmRecord[]; capped: boolean }> {
  const items: RmmRecord[] = [];
  for (let page = 0; page < RMM_MAX_PAGES; page++) {
    const response = await get(session, operation, path, {
      ...filters,
      page: String(page),
      max: String(RMM_PAGE_SIZE),
    });
    const list = pathValue(response.body, listKey);
    if (!Array.isArray(list)) {
      throw badResponse('datto-rmm', operation, response, `Datto RMM answered without a ${listKey} list`);
    }
    for (const item of list) if (isRecord(item)) items.push(item);
    const next = stringAt(response.body, 'pageDetails', 'nextPageUrl');
    if (next === undefined || next === '' || list.length === 0) return { items, capped: false };
  }
  return { items, capped: true };
}

const segment = (value: string) => encodeURIComponent(value);

/** `GET /api/v2/account/sites` (optionally `siteName`, matched by Datto with LIKE). */
export function listSites(session: RmmSession, input: { siteName?: string | undefined }) {
  return readPages(
    session,
    'site.list',
    '/api/v2/account/sites',
    'sites',
    input.siteName ? { siteName: input.siteName } : {},
  );
}

/**
 * `GET /api/v2/site/{siteUid}/devices` for one site, else `GET /api/v2/account/devices` (which
 * also filters by `hostname`).
 */
export function listDevices(
  session: RmmSession,
  input: { siteUid?: string | undefined; hostname?: string | undefined },
) {
  if (input.siteUid !== undefined) {
    return readPages(session, 'device.list', `/api/v2/site/${segment(input.siteUid)}/devices`, 'devices', {});
  }
  return readPages(
    session,
    'device.list',
    '/api/v2/account/devices',
    'devices',
    input.hostname ? { hostname: input.hostname } : {},
  );
}

/** `GET /api/v2/device/{deviceUid}`: the device record (online, lastSeen, patch and antivirus status). */
export async function getDevice(session: RmmSession, input: { deviceUid: string }): Promise<RmmRecord> {
  const response = await get(session, 'device.get', `/api/v2/device/${segment(input.deviceUid)}`);
  if (!isRecord(response.body) || stringAt(response.body, 'uid') === undefined) {
    throw badResponse('datto-rmm', 'device.get', response, 'Datto RMM answered without a device');
  }
  return response.body;
}

/** Where open alerts are read: the whole account, one site or one device. */
export type AlertScope = { siteUid: string } | { deviceUid: string } | Record<string, never>;

/** `GET /api/v2/{account|site/{uid}|device/{uid}}/alerts/open` (optionally `muted`). */
export function listOpenAlerts(session: RmmSession, input: { scope: AlertScope; muted?: boolean | undefined }) {
  const { scope } = input;
  const path =
    'siteUid' in scope
      ? `/api/v2/site/${segment(scope.siteUid)}/alerts/open`
      : 'deviceUid' in scope
        ? `/api/v2/device/${segment(scope.deviceUid)}/alerts/open`
        : '/api/v2/account/alerts/open';
  return readPages(
    session,
    'alert.list_open',
    path,
    'alerts',
    input.muted === undefined ? {} : { muted: String(input.muted) },
  );
}
