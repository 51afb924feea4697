import { z } from 'zod';
import { connector as autotask } from '../vendors/autotask';
import { addTicketNote, updateTicketStatus } from '../vendors/autotask/actions';
import { connector as dattoEdr } from '../vendors/datto-edr';
import { isolateAgent } from '../vendors/datto-edr/actions';
import { connector as dattoRmm } from '../vendors/datto-rmm';
import { runQuickJob } from '../vendors/datto-rmm/actions';
import { connector as halopsa } from '../vendors/halopsa';
import { addTicketAction } from '../vendors/halopsa/actions';
import { connector as itglue } from '../vendors/itglue';
import { findConfiguration, findOrganization } from '../vendors/itglue/actions';
import { connector as microsoft365 } from '../vendors/microsoft365';
import { lookupUser } from '../vendors/microsoft365/actions';
import { connector as unifi } from '../vendors/unifi';
import { restartDevice } from '../vendors/unifi/actions';
import { boolish, entityId, text } from './args';
import { AUTOTASK_TOOLS } from './autotask-tools';
import { DATTO_EDR_TOOLS } from './datto-edr-tools';
import { DATTO_RMM_TOOLS } from './datto-rmm-tools';
import { defineTool, type ToolDefinition } from './definition';
import { ITGLUE_TOOLS } from './itglue-tools';
import { MICROSOFT365_TOOLS } from './microsoft365-tools';
import { pathSegmentArg } from './path-segment';
import { PAX8_TOOLS } from './pax8-tools';
import { UNIFI_TOOLS } from './unifi-tools';

/**
 * The tool catalog (GET /api/v1/tools): every action a SOP step may call. Arguments come from SOP
 * templates as text, so numeric ids are coerced and booleans accept "true"/"false"; an argument that
 * becomes a URL path segment is a `pathSegmentArg` (never "." or ".."). IT Glue tools only read;
 * writes that change a customer's environment always wait for an approval (docs/tools.md). The
 * tools of Autotask, Microsoft 365 and IT Glue beyond the first few live in `<vendor>-tools.ts`.
 */

const autotaskAddNote = defineTool(autotask, {
  id: 'autotask.ticket.add_note',
  vendor: 'autotask',
  title: 'Add a ticket note',
  description: 'POST /v1.0/Tickets/{id}/Notes: adds a note to an Autotask ticket.',
  writes: true,
  args: z.strictObject({
    ticketId: entityId('The Autotask ticket id.'),
    title: text(250, 'Note title.').default('MSP Integration Hub'),
    description: text(32_000, 'Note text.'),
    noteType: z.coerce.number().int().min(1).default(1).describe('Note type picklist value (1 = Task Summary).'),
    publish: z.coerce.number().int().min(1).max(2).default(1).describe('1 = all Autotask users, 2 = internal only.'),
  }),
  checkAtVendor: (args) => `whether ticket ${args.ticketId} has a note titled "${args.title}"`,
  run: async (session, args) => {
    const { itemId } = await addTicketNote(session, args);
    return { summary: `note ${itemId} added to ticket ${args.ticketId}`, output: { noteId: itemId } };
  },
});

const autotaskUpdateStatus = defineTool(autotask, {
  id: 'autotask.ticket.update_status',
  vendor: 'autotask',
  title: 'Update a ticket status',
  description: 'PATCH /v1.0/Tickets: sets the status picklist value of an Autotask ticket.',
  writes: true,
  args: z.strictObject({
    ticketId: entityId('The Autotask ticket id.'),
    status: z.coerce.number().int().min(1).describe('Status picklist value (5 = Complete in a default database).'),
  }),
  checkAtVendor: (args) => `the status of ticket ${args.ticketId} (expected picklist value ${args.status})`,
  run: async (session, args) => {
    await updateTicketStatus(session, args);
    return { summary: `ticket ${args.ticketId} set to status ${args.status}`, output: { status: args.status } };
  },
});

const haloAddAction = defineTool(halopsa, {
  id: 'halopsa.ticket.add_action',
  vendor: 'halopsa',
  title: 'Add a ticket action',
  description: 'POST /api/Actions: adds an action (note) to a Halo PSA ticket.',
  writes: true,
  args: z.strictObject({
    ticketId: entityId('The Halo ticket id.'),
    note: text(32_000, 'Action text.'),
    outcome: text(100, 'Action outcome label.').default('Note'),
    hiddenFromUser: boolish.default(false),
  }),
  checkAtVendor: (args) => `whether ticket ${args.ticketId} has an action "${args.outcome}" with this note`,
  run: async (session, args) => {
    const { actionId } = await addTicketAction(session, args);
    return { summary: `action ${actionId} added to ticket ${args.ticketId}`, output: { actionId } };
  },
});

const rmmQuickJob = defineTool(dattoRmm, {
  id: 'datto-rmm.device.run_quick_job',
  vendor: 'datto-rmm',
  title: 'Run a quick job',
  description: 'PUT /api/v2/device/{deviceUid}/quickjob: runs a component on a Datto RMM device.',
  writes: true,
  args: z.strictObject({
    deviceUid: pathSegmentArg(100, 'The device UID.'),
    jobName: text(200, 'The job name shown in Datto RMM.'),
    componentUid: text(100, 'The component UID to run.'),
    variables: z.record(z.string().min(1).max(100), z.string().max(2000)).default({}).describe('Component variables.'),
  }),
  checkAtVendor: (args) => `the job history of device ${args.deviceUid} for a job named "${args.jobName}"`,
  run: async (session, args) => {
    const variables = Object.entries(args.variables).map(([name, value]) => ({ name, value }));
    const { jobUid } = await runQuickJob(session, { ...args, variables });
    return { summary: `quick job ${jobUid || '(no uid)'} started on ${args.deviceUid}`, output: { jobUid } };
  },
});

const edrIsolate = defineTool(dattoEdr, {
  id: 'datto-edr.host.isolate',
  vendor: 'datto-edr',
  title: 'Isolate a host',
  description: 'POST /api/Agents/toggleIsolation: cuts a host off the network. Always needs an approval.',
  writes: true,
  alwaysRequiresApproval: true,
  args: z.strictObject({ agentId: text(100, 'The Datto EDR agent id.') }),
  checkAtVendor: (args) => `whether agent ${args.agentId} shows as isolated`,
  run: async (session, args) => {
    await isolateAgent(session, args);
    return { summary: `agent ${args.agentId} isolated`, output: { agentId: args.agentId, isolated: true } };
  },
});

const unifiRestart = defineTool(unifi, {
  id: 'unifi.device.restart',
  vendor: 'unifi',
  title: 'Restart a device',
  description: 'POST /v1/sites/{siteId}/devices/{deviceId}/actions {"action":"RESTART"} on a UniFi console.',
  writes: true,
  args: z.strictObject({
    siteId: pathSegmentArg(100, 'The site id.'),
    deviceId: pathSegmentArg(100, 'The device id.'),
  }),
  checkAtVendor: (args) => `the uptime of device ${args.deviceId} (a restart resets it)`,
  run: async (session, args) => {
    await restartDevice(session, args);
    return { summary: `device ${args.deviceId} restarting`, output: { deviceId: args.deviceId } };
  },
});

const itglueOrganization = defineTool(itglue, {
  id: 'itglue.organization.lookup',
  vendor: 'itglue',
  title: 'Look up an organization',
  description: 'GET /organizations?filter[name]=…: finds an IT Glue organization (read-only).',
  writes: false,
  args: z.strictObject({ name: text(200, 'Organization name.') }),
  checkAtVendor: () => 'nothing: lookups change nothing',
  run: async (session, args) => {
    const found = await findOrganization(session, args);
    return {
      summary: found.first ? `organization ${found.first.id} "${found.first.name}"` : `no organization "${args.name}"`,
      output: { found: found.count, organizationId: found.first?.id ?? null, name: found.first?.name ?? null },
    };
  },
});

const itglueConfiguration = defineTool(itglue, {
  id: 'itglue.configuration.lookup',
  vendor: 'itglue',
  title: 'Look up a configuration',
  description: 'GET /configurations?filter[name]=…: finds a device or other configuration item (read-only).',
  writes: false,
  args: z.strictObject({ name: text(200, 'Configuration (device) name.') }),
  checkAtVendor: () => 'nothing: lookups change nothing',
  run: async (session, args) => {
    const found = await findConfiguration(session, args);
    return {
      summary: found.first
        ? `configuration ${found.first.id} "${found.first.name}"`
        : `no configuration "${args.name}"`,
      output: { found: found.count, configurationId: found.first?.id ?? null, name: found.first?.name ?? null },
    };
  },
});

const m365User = defineTool(microsoft365, {
  id: 'microsoft365.user.lookup',
  vendor: 'microsoft365',
  title: 'Look up a user',
  description: 'GET /v1.0/users/{id or userPrincipalName}: reads a Microsoft 365 user (read-only).',
  writes: false,
  args: z.strictObject({ user: pathSegmentArg(320, 'User id or userPrincipalName.') }),
  checkAtVendor: () => 'nothing: lookups change nothing',
  run: async (session, args) => {
    const user = await lookupUser(session, args);
    return {
      summary: `user ${user.userPrincipalName || user.id}${user.accountEnabled === false ? ' (disabled)' : ''}`,
      output: { ...user },
    };
  },
});

const TOOLS: readonly ToolDefinition[] = [
  autotaskAddNote,
  autotaskUpdateStatus,
  haloAddAction,
  rmmQuickJob,
  edrIsolate,
  unifiRestart,
  itglueOrganization,
  itglueConfiguration,
  m365User,
  ...AUTOTASK_TOOLS,
  ...MICROSOFT365_TOOLS,
  ...ITGLUE_TOOLS,
  ...PAX8_TOOLS,
  ...UNIFI_TOOLS,
  ...DATTO_RMM_TOOLS,
  ...DATTO_EDR_TOOLS,
];

const byId = new Map(TOOLS.map((tool) => [tool.id, tool]));

export function listTools(): readonly ToolDefinition[] {
  return TOOLS;
}

export function findTool(id: string): ToolDefinition | undefined {
  return byId.get(id);
}

/** What GET /api/v1/tools shows of one tool: the argument schema as JSON Schema (the input side). */
export interface ToolView {
  id: string;
  vendor: string;
  title: string;
  description: string;
  writes: boolean;
  alwaysRequiresApproval: boolean;
  argumentsSchema: Record<string, unknown>;
}

export function toolView(tool: ToolDefinition): ToolView {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.args, { io: 'input', unrepresentable: 'any' });
  return {
    id: tool.id,
    vendor: tool.vendor,
    title: tool.title,
    description: tool.description,
    writes: tool.writes,
    alwaysRequiresApproval: tool.alwaysRequiresApproval,
    argumentsSchema: schema,
  };
}
