import { z } from 'zod';
import { connector as dattoEdr } from '../vendors/datto-edr';
import {
  EDR_MAX_PAGES,
  EDR_PAGE_SIZE,
  type EdrRecord,
  listAlerts,
  listIncidents,
} from '../vendors/datto-edr/detections';
import { READS_CHANGE_NOTHING, text } from './args';
import { defineTool, type ToolDefinition } from './definition';
import { listResult } from './list-output';

/**
 * Datto EDR reads beside the isolation of catalog.ts (which always waits for an approval): alerts
 * and incidents, newest first. Read only.
 */

const CAP = `${EDR_PAGE_SIZE} a page, at most ${EDR_PAGE_SIZE * EDR_MAX_PAGES}`;
const str = (item: EdrRecord, key: string) =>
  typeof item[key] === 'string' ? item[key] : typeof item[key] === 'number' ? String(item[key]) : '';

const alerts = defineTool(dattoEdr, {
  id: 'datto-edr.alert.list',
  vendor: 'datto-edr',
  title: 'List alerts',
  description: `GET /api/Alerts?filter={"where":{"archived":false},…} (optionally one hostname), newest first, paged with limit/skip (${CAP}).`,
  writes: false,
  args: z.strictObject({ hostname: text(255, 'Only alerts of this host.').optional() }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) => {
    const read = await listAlerts(session, args);
    const result = listResult(
      'alert',
      read,
      (a) => str(a, 'id'),
      (a) => `${str(a, 'severity')} ${str(a, 'name')} ${str(a, 'hostname')}`.trim(),
    );
    const hosts = new Set(read.items.map((a) => str(a, 'hostname')).filter((h) => h !== '')).size;
    return { ...result, output: { ...result.output, hosts } };
  },
});

const incidents = defineTool(dattoEdr, {
  id: 'datto-edr.incident.list',
  vendor: 'datto-edr',
  title: 'List incidents',
  description: `GET /api/Incidents?filter=… (optionally by status), newest first, paged with limit/skip (${CAP}).`,
  writes: false,
  args: z.strictObject({ status: text(50, 'Only incidents with this status (e.g. open).').optional() }),
  checkAtVendor: () => READS_CHANGE_NOTHING,
  run: async (session, args) =>
    listResult(
      'incident',
      await listIncidents(session, args),
      (i) => str(i, 'id'),
      (i) => `${str(i, 'severity')} ${str(i, 'name')}`.trim(),
    ),
});

export const DATTO_EDR_TOOLS: readonly ToolDefinition[] = [alerts, incidents];
