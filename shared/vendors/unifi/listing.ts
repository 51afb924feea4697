import { VendorError, type VendorRequest, type VendorSession } from '../contract';
import { badResponse, expectOk, isRecord, numberAt, stringAt } from '../core/errors';
import { readUnifiMessage } from './api';
import {
  networkApiRoot,
  siteManagerRoot,
  type UnifiConfig,
  type UnifiCredentials,
  type UnifiNetworkConfig,
} from './config';

/**
 * UniFi reads for tool calls: sites, devices and clients. The Site Manager (api.ui.com) pages with
 * `pageSize` and the `nextToken` of each answer; a console's Network integration API with
 * `offset`/`limit` (limit ≤ 200) and the answer's `totalCount`. Either way one tool call reads at
 * most UNIFI_MAX_ITEMS records (docs/tools.md). Clients exist only in the Network API.
 */
export const UNIFI_NETWORK_LIMIT = 200;
export const UNIFI_SITE_MANAGER_PAGE_SIZE = 200;
export const UNIFI_MAX_PAGES = 5;

export type UnifiRecord = Record<string, unknown>;
export type UnifiSession = VendorSession<UnifiCredentials, UnifiConfig>;
export interface UnifiList {
  items: UnifiRecord[];
  capped: boolean;
}

function get(operation: string, url: string, headerName: string, apiKey: string): VendorRequest {
  return { operation, method: 'GET', url, headers: { [headerName]: apiKey, Accept: 'application/json' } };
}

/** The Network API's answer to a call it cannot make in Site Manager mode: a configuration signal, nothing sent. */
export function needsNetworkMode(operation: string, what: string): VendorError {
  return new VendorError({
    vendor: 'unifi',
    operation,
    kind: 'not_found',
    vendorMessage: `${what} needs the console’s Network integration API: set the integration’s mode to "network" with its consoleUrl.`,
  });
}

/** `GET {network}/v1/{path}?offset=…&limit=200` until `totalCount` is reached or the page cap. */
export async function listNetwork(
  session: VendorSession<UnifiCredentials, UnifiNetworkConfig>,
  operation: string,
  path: string,
): Promise<UnifiList> {
  const items: UnifiRecord[] = [];
  for (let page = 0; page < UNIFI_MAX_PAGES; page++) {
    const query = new URLSearchParams({ offset: String(items.length), limit: String(UNIFI_NETWORK_LIMIT) });
    const url = `${networkApiRoot(session.config)}/v1/${path}?${query}`;
    const response = await session.http.request(get(operation, url, 'X-API-KEY', session.credentials.apiKey));
    expectOk('unifi', operation, response, readUnifiMessage);
    const body = response.body;
    if (!isRecord(body) || !Array.isArray(body.data)) {
      throw badResponse('unifi', operation, response, `GET /v1/${path} answered without data`);
    }
    const data = body.data.filter(isRecord);
    items.push(...data);
    const total = numberAt(body, 'totalCount');
    if (data.length === 0 || (total !== undefined ? items.length >= total : data.length < UNIFI_NETWORK_LIMIT)) {
      return { items, capped: false };
    }
  }
  return { items, capped: true };
}

/** `GET {siteManager}/v1/{path}?pageSize=…[&nextToken=…]` until no nextToken or the page cap. */
async function listSiteManager(
  session: UnifiSession,
  config: { baseUrl?: string | undefined; mode: 'site-manager' },
  operation: string,
  path: string,
): Promise<UnifiList> {
  const items: UnifiRecord[] = [];
  let token: string | undefined;
  for (let page = 0; page < UNIFI_MAX_PAGES; page++) {
    const query = new URLSearchParams({ pageSize: String(UNIFI_SITE_MANAGER_PAGE_SIZE) });
    if (token !== undefined) query.set('nextToken', token);
    const url = `${siteManagerRoot(config)}/v1/${path}?${query}`;
    const response = await session.http.request(get(operation, url, 'X-API-Key', session.credentials.apiKey));
    expectOk('unifi', operation, response, readUnifiMessage);
    const body = response.body;
    if (!isRecord(body) || !Array.isArray(body.data)) {
      throw badResponse('unifi', operation, response, `GET /v1/${path} answered without data`);
    }
    items.push(...body.data.filter(isRecord));
    token = stringAt(body, 'nextToken') || undefined;
    if (token === undefined) return { items, capped: false };
  }
  return { items, capped: true };
}

/** Sites: the Site Manager's sites of every console the key sees, or one console's local sites. */
export function listSites(session: UnifiSession): Promise<UnifiList> {
  const config = session.config;
  return config.mode === 'network'
    ? listNetwork({ ...session, config }, 'sites.list', 'sites')
    : listSiteManager(session, config, 'sites.list', 'sites');
}

/**
 * Devices: in Network mode the adopted devices of one site; from the Site Manager every console's
 * devices (`GET /v1/devices` groups them by host; they are flattened, each with its `hostId`).
 * A site id means the Network API, so Site Manager mode refuses one rather than ignore it.
 */
export async function listDevices(session: UnifiSession, input: { siteId?: string | undefined }): Promise<UnifiList> {
  const config = session.config;
  if (config.mode === 'network') {
    if (input.siteId === undefined) {
      throw new VendorError({
        vendor: 'unifi',
        operation: 'devices.list',
        kind: 'rejected',
        vendorMessage: 'A console’s Network API lists devices per site: give the siteId (from unifi.site.list).',
      });
    }
    return listNetwork({ ...session, config }, 'devices.list', `sites/${encodeURIComponent(input.siteId)}/devices`);
  }
  if (input.siteId !== undefined) throw needsNetworkMode('devices.list', 'Listing the devices of one site');
  const hosts = await listSiteManager(session, config, 'devices.list', 'devices');
  const items = hosts.items.flatMap((host) =>
    Array.isArray(host.devices)
      ? host.devices.filter(isRecord).map((device) => ({ hostId: host.hostId, ...device }))
      : [],
  );
  return { items, capped: hosts.capped };
}

/** Clients connected to one site (Network API only). */
export function listClients(session: UnifiSession, input: { siteId: string }): Promise<UnifiList> {
  const config = session.config;
  if (config.mode !== 'network') throw needsNetworkMode('clients.list', 'Listing clients');
  return listNetwork({ ...session, config }, 'clients.list', `sites/${encodeURIComponent(input.siteId)}/clients`);
}
