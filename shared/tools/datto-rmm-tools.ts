import { z } from 'zod';
import { connector as dattoRmm } from '../vendors/datto-rmm';
import {
  type AlertScope,
  getDevice,
  listDevices,
  listOpenAlerts,
  listSites,
  RMM_MAX_PAGES,
  RMM_PAGE_SIZE,
  type RmmRecord,
} from '../vendors/datto-rmm/inventory';
import { boolish, READS_CHANGE_NOTHING, text } from './args';
import { defineTool, type ToolDefinition } from './definition';
import { listResult } from './list-output';
import { pathSegmentArg } from './path-segment';

/**
 * Datto RMM reads beyond the quick job of catalog.ts: inventory (sites, devices, one device), open
 * alerts and a device's monitor state. All read only; the quick job stays the one write.
 */

const CAP = `${RMM_PAGE_SIZE} a page, at most ${RMM_PAGE_SIZE * RMM_MAX_PAGES}`;
const str = (item: RmmRecord, key: string) => (typeof item[key] === 'string' ? item[key] : '');
const nested = (item: RmmRecord, outer: string, key: string) => {
  const inner = item[outer];
  return typeof inner === 'object' && inner !== null && typeof (inner as RmmRecord)[key] === 'string'
    ? ((inner as RmmRecord)[key] as string)
    : null;
};
const siteUid = pathSegmentArg(100, 'The site UID.');
const deviceUid = pathSegmentArg(100, 'The device UID.');

const sites = defineTool(dattoRmm, {
  id: 'datto-rmm.site.list',
  vendor: 'datto-rmm',
  title: 'List sites',
  description: `GET /api/v2/account/sites (optionally siteName, a partial match), paged with page/max (${CAP}).`,
  writes: false,
  args: z.strictObject({ siteName: text(200, 'Only sites whose name contains this.').optional() }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) =>
    listResult(
      'site',
      await listSites(session, args),
      (s) => str(s, 'uid'),
      (s) => str(s, 'name'),
    ),
});

const devices = defineTool(dattoRmm, {
  id: 'datto-rmm.device.list',
  vendor: 'datto-rmm',
  title: 'List devices',
  description: `GET /api/v2/site/{siteUid}/devices, or /api/v2/account/devices (optionally hostname) without a site, paged (${CAP}).`,
  writes: false,
  args: z
    .strictObject({
      siteUid: siteUid.optional(),
      hostname: text(200, 'Only devices whose hostname contains this (account-wide lists only).').optional(),
    })
    .refine((a) => a.siteUid === undefined || a.hostname === undefined, {
      error: 'give siteUid or hostname, not both: Datto filters a site’s devices by nothing else',
    }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => {
    const read = await listDevices(session, args);
    const result = listResult(
      'device',
      read,
      (d) => str(d, 'uid'),
      (d) => str(d, 'hostname'),
    );
    const offline = read.items.filter((d) => d.online === false).length;
    return { ...result, output: { ...result.output, offline } };
  },
});

const device = defineTool(dattoRmm, {
  id: 'datto-rmm.device.get',
  vendor: 'datto-rmm',
  title: 'Read a device',
  description: 'GET /api/v2/device/{deviceUid}: hostname, site, online, last seen, patch and antivirus status.',
  writes: false,
  args: z.strictObject({ deviceUid }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => {
    const d = await getDevice(session, args);
    return {
      summary: `device ${str(d, 'hostname') || args.deviceUid} ${d.online === true ? 'online' : 'offline'}`,
      output: deviceOutput(d),
    };
  },
});

function deviceOutput(d: RmmRecord): Record<string, string | number | boolean | null> {
  return {
    deviceUid: str(d, 'uid'),
    hostname: str(d, 'hostname'),
    siteUid: str(d, 'siteUid'),
    siteName: str(d, 'siteName'),
    operatingSystem: str(d, 'operatingSystem'),
    online: typeof d.online === 'boolean' ? d.online : null,
    lastSeen: str(d, 'lastSeen') || null,
    rebootRequired: typeof d.rebootRequired === 'boolean' ? d.rebootRequired : null,
    patchStatus: nested(d, 'patchManagement', 'patchStatus'),
    antivirusStatus: nested(d, 'antivirus', 'antivirusStatus'),
    antivirusProduct: nested(d, 'antivirus', 'antivirusProduct'),
  };
}

const alerts = defineTool(dattoRmm, {
  id: 'datto-rmm.alert.list_open',
  vendor: 'datto-rmm',
  title: 'List open alerts',
  description: `GET /api/v2/account/alerts/open, or /site/{siteUid}/alerts/open, or /device/{deviceUid}/alerts/open (optionally muted), paged (${CAP}).`,
  writes: false,
  args: z
    .strictObject({
      siteUid: siteUid.optional(),
      deviceUid: deviceUid.optional(),
      muted: boolish.optional(),
    })
    .refine((a) => a.siteUid === undefined || a.deviceUid === undefined, {
      error: 'give siteUid or deviceUid, not both',
    }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => {
    const scope: AlertScope =
      args.siteUid !== undefined
        ? { siteUid: args.siteUid }
        : args.deviceUid !== undefined
          ? { deviceUid: args.deviceUid }
          : {};
    const read = await listOpenAlerts(session, { scope, muted: args.muted });
    const result = listResult(
      'alert',
      read,
      (a) => str(a, 'alertUid'),
      (a) => `${str(a, 'priority')} ${nested(a, 'alertSourceInfo', 'deviceName') ?? ''}`.trim(),
    );
    const critical = read.items.filter((a) => a.priority === 'Critical').length;
    return { ...result, output: { ...result.output, critical } };
  },
});

const monitorState = defineTool(dattoRmm, {
  id: 'datto-rmm.device.monitor_state',
  vendor: 'datto-rmm',
  title: "Read a device's monitor state",
  description: `GET /api/v2/device/{deviceUid} and its /alerts/open (${CAP}): online, last seen, patch and antivirus status, open and critical alerts.`,
  writes: false,
  args: z.strictObject({ deviceUid }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => {
    const d = await getDevice(session, args);
    const open = await listOpenAlerts(session, { scope: { deviceUid: args.deviceUid } });
    const critical = open.items.filter((a) => a.priority === 'Critical').length;
    const state = deviceOutput(d);
    return {
      summary: `${state.hostname || args.deviceUid} ${state.online === true ? 'online' : 'offline'}, ${open.items.length}${open.capped ? '+' : ''} open alert(s) (${critical} critical), patches ${state.patchStatus ?? 'unknown'}, antivirus ${state.antivirusStatus ?? 'unknown'}`,
      output: {
        ...state,
        openAlerts: open.items.length,
        openAlertsCapped: open.capped,
        criticalAlerts: critical,
        firstAlertUid: open.items[0] ? str(open.items[0], 'alertUid') : null,
      },
    };
  },
});

export const DATTO_RMM_TOOLS: readonly ToolDefinition[] = [sites, devices, device, alerts, monitorState];
