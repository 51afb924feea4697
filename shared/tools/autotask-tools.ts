import { z } from 'zod';
import { connector as autotask } from '../vendors/autotask';
import { addTimeEntry, updateTicket } from '../vendors/autotask/actions';
import {
  AUTOTASK_MAX_PAGES,
  AUTOTASK_PAGE_SIZE,
  autotaskFilterSchema,
  entityId as idOf,
  type QueryEntity,
  queryEntities,
} from '../vendors/autotask/queries';
import { entityId, READS_CHANGE_NOTHING, text } from './args';
import { defineTool, type ToolDefinition } from './definition';
import { listResult } from './list-output';

/**
 * Autotask tools beyond the note and status of catalog.ts: the query API's reads (tickets,
 * companies, resources) and the ticket and time writes. PSA records are the MSP's own, so the
 * writes need no approval unless the SOP asks for one.
 */

const CAP = AUTOTASK_PAGE_SIZE * AUTOTASK_MAX_PAGES;
const FIELD_NAME = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,99}$/);

function queryTool(spec: {
  id: string;
  entity: QueryEntity;
  noun: string;
  title: string;
  defaultFilter: z.input<typeof autotaskFilterSchema>;
  label: (item: Record<string, unknown>) => string;
}): ToolDefinition {
  return defineTool(autotask, {
    id: spec.id,
    vendor: 'autotask',
    title: spec.title,
    description: `POST /v1.0/${spec.entity}/query with Autotask's filter format, following pageDetails.nextPageUrl (${AUTOTASK_PAGE_SIZE} a page, at most ${CAP} records).`,
    writes: false,
    args: z.strictObject({
      filter: autotaskFilterSchema.default(spec.defaultFilter),
      includeFields: z.array(FIELD_NAME).max(50).default([]).describe('Fields to return; empty for all.'),
      maxRecords: z.coerce.number().int().min(1).max(CAP).default(CAP).describe(`Stop after this many (≤ ${CAP}).`),
    }),
    checkAtVendor: () => READS_CHANGE_NOTHING,
    run: async (session, args) => {
      const read = await queryEntities(session, { entity: spec.entity, ...args });
      return listResult(spec.noun, read, idOf, spec.label);
    },
  });
}

const textAt = (item: Record<string, unknown>, key: string) => (typeof item[key] === 'string' ? item[key] : '');

const ticketQuery = queryTool({
  id: 'autotask.ticket.query',
  entity: 'Tickets',
  noun: 'ticket',
  title: 'Find tickets',
  // Status 5 is Complete in a default database: the default is the open tickets.
  defaultFilter: [{ op: 'noteq', field: 'status', value: 5 }],
  label: (t) => `${textAt(t, 'ticketNumber')} ${textAt(t, 'title')}`.trim(),
});

const companyQuery = queryTool({
  id: 'autotask.company.query',
  entity: 'Companies',
  noun: 'company',
  title: 'Find companies',
  defaultFilter: [{ op: 'eq', field: 'isActive', value: true }],
  label: (c) => textAt(c, 'companyName'),
});

const resourceQuery = queryTool({
  id: 'autotask.resource.query',
  entity: 'Resources',
  noun: 'resource',
  title: 'Find resources',
  defaultFilter: [{ op: 'eq', field: 'isActive', value: true }],
  label: (r) => `${textAt(r, 'firstName')} ${textAt(r, 'lastName')}`.trim(),
});

const picklist = (what: string) => z.coerce.number().int().min(1).optional().describe(what);

const ticketUpdate = defineTool(autotask, {
  id: 'autotask.ticket.update',
  vendor: 'autotask',
  title: 'Update a ticket',
  description: 'PATCH /v1.0/Tickets {id, …}: changes only the fields given (status, priority, queue, title, due date).',
  writes: true,
  args: z
    .strictObject({
      ticketId: entityId('The Autotask ticket id.'),
      status: picklist('Status picklist value.'),
      priority: picklist('Priority picklist value.'),
      queueID: picklist('Queue picklist value.'),
      title: text(255, 'New ticket title.').optional(),
      dueDateTime: z.iso.datetime({ offset: true }).optional().describe('Due date and time (ISO 8601).'),
    })
    .refine((a) => Object.entries(a).some(([key, value]) => key !== 'ticketId' && value !== undefined), {
      error: 'name at least one field to change',
    }),
  checkAtVendor: (args) => `the fields of ticket ${args.ticketId}`,
  run: async (session, args) => {
    await updateTicket(session, args);
    const changed = Object.keys(args).filter((k) => k !== 'ticketId' && args[k as keyof typeof args] !== undefined);
    return { summary: `ticket ${args.ticketId} updated (${changed.join(', ')})`, output: { ticketId: args.ticketId } };
  },
});

const timeEntry = defineTool(autotask, {
  id: 'autotask.time_entry.add',
  vendor: 'autotask',
  title: 'Log time on a ticket',
  description: 'POST /v1.0/TimeEntries {ticketID, resourceID, roleID, dateWorked, hoursWorked, summaryNotes}.',
  writes: true,
  args: z.strictObject({
    ticketId: entityId('The Autotask ticket id.'),
    resourceId: entityId('The resource (technician) who did the work.'),
    roleId: entityId('The role the work was done in.'),
    dateWorked: z.iso.date().describe('The day worked (YYYY-MM-DD).'),
    hoursWorked: z.coerce.number().gt(0).max(24).describe('Hours, e.g. 0.25.'),
    summaryNotes: text(8000, 'What was done.'),
  }),
  checkAtVendor: (args) => `the time entries of ticket ${args.ticketId} on ${args.dateWorked}`,
  run: async (session, args) => {
    const { itemId } = await addTimeEntry(session, args);
    return {
      summary: `${args.hoursWorked} h logged on ticket ${args.ticketId} (time entry ${itemId})`,
      output: { timeEntryId: itemId },
    };
  },
});

export const AUTOTASK_TOOLS: readonly ToolDefinition[] = [
  ticketQuery,
  companyQuery,
  resourceQuery,
  ticketUpdate,
  timeEntry,
];
