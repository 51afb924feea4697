import { z } from 'zod';
import { connector as unifi } from '../vendors/unifi';
import { setFirewallPolicyEnabled } from '../vendors/unifi/actions';
import {
  listClients,
  listDevices,
  listSites,
  UNIFI_MAX_PAGES,
  UNIFI_NETWORK_LIMIT,
  type UnifiRecord,
} from '../vendors/unifi/listing';
import { boolish, READS_CHANGE_NOTHING } from './args';
import { defineTool, type ToolDefinition } from './definition';
import { listResult } from './list-output';
import { pathSegmentArg } from './path-segment';

/**
 * UniFi tools beyond the device restart (catalog.ts): sites, devices and clients, and switching an
 * existing firewall policy on or off on a console. A firewall change alters a customer's network,
 * so it always waits for an approval; it can only enable or disable a policy (docs/tools.md).
 */

const CAP = `${UNIFI_NETWORK_LIMIT} a page, at most ${UNIFI_NETWORK_LIMIT * UNIFI_MAX_PAGES}`;
const str = (item: unknown, ...keys: string[]) => {
  if (typeof item !== 'object' || item === null) return '';
  const record = item as UnifiRecord;
  for (const key of keys) if (typeof record[key] === 'string' && record[key] !== '') return record[key];
  return '';
};
const siteArg = pathSegmentArg(100, 'The site id (from unifi.site.list in network mode).');

const sites = defineTool(unifi, {
  id: 'unifi.site.list',
  vendor: 'unifi',
  title: 'List sites',
  description: `Site Manager GET /v1/sites (nextToken paging), or a console's GET /v1/sites (offset/limit; ${CAP}).`,
  writes: false,
  args: z.strictObject({}),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session) =>
    listResult(
      'site',
      await listSites(session),
      (s) => str(s, 'id', 'siteId'),
      (s) => str(s, 'name', 'internalReference') || str(s.meta, 'desc', 'name'),
    ),
});

const devices = defineTool(unifi, {
  id: 'unifi.device.list',
  vendor: 'unifi',
  title: 'List devices',
  description: `A console's GET /v1/sites/{siteId}/devices (network mode, siteId required), or the Site Manager's GET /v1/devices for every console (${CAP}).`,
  writes: false,
  args: z.strictObject({ siteId: siteArg.optional() }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => {
    const read = await listDevices(session, args);
    const result = listResult(
      'device',
      read,
      (d) => str(d, 'id', 'mac', 'macAddress'),
      (d) => str(d, 'name', 'model'),
    );
    const offline = read.items.filter((d) => typeof d.state === 'string' && /^offline$/i.test(d.state)).length;
    return { ...result, output: { ...result.output, offline } };
  },
});

const clients = defineTool(unifi, {
  id: 'unifi.client.list',
  vendor: 'unifi',
  title: 'List clients',
  description: `A console's GET /v1/sites/{siteId}/clients (network mode only; ${CAP}).`,
  writes: false,
  args: z.strictObject({ siteId: siteArg }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) =>
    listResult(
      'client',
      await listClients(session, args),
      (c) => str(c, 'id', 'macAddress'),
      (c) => str(c, 'name', 'ipAddress', 'macAddress'),
    ),
});

const firewall = defineTool(unifi, {
  id: 'unifi.firewall.set_enabled',
  vendor: 'unifi',
  title: 'Enable or disable a firewall policy',
  description:
    "A console's GET then PUT /v1/sites/{siteId}/firewall/policies/{id} with only `enabled` changed (network mode). Nothing else about a rule can be changed. Always needs an approval.",
  writes: true,
  alwaysRequiresApproval: true,
  args: z.strictObject({
    siteId: siteArg,
    policyId: pathSegmentArg(100, 'The firewall policy id.'),
    enabled: boolish,
  }),
  checkAtVendor: (args) =>
    `whether firewall policy ${args.policyId} on site ${args.siteId} shows as ${args.enabled ? 'enabled' : 'disabled'}`,
  run: async (session, args) => {
    const { name, changed } = await setFirewallPolicyEnabled(session, args);
    const label = name !== undefined ? `"${name}"` : args.policyId;
    const state = args.enabled ? 'enabled' : 'disabled';
    return {
      summary: changed ? `firewall policy ${label} ${state}` : `firewall policy ${label} was already ${state}`,
      output: { policyId: args.policyId, enabled: args.enabled, changed },
    };
  },
});

export const UNIFI_TOOLS: readonly ToolDefinition[] = [sites, devices, clients, firewall];
