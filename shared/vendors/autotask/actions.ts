import { numberAt } from '../core/errors';
import { type AutotaskSession, autotaskRequest } from './index';

/**
 * Autotask writes the pipeline's tool calls make (docs/vendors.md "Autotask PSA"). Each is one request
 * and throws the vendor's refusal as a VendorError; nothing here retries (the tool-call stage does).
 */

export interface TicketNoteInput {
  ticketId: number;
  title: string;
  description: string;
  /** Autotask note type picklist value (1 = Task Summary in a default database). */
  noteType: number;
  /** Publish picklist value: 1 = all Autotask users, 2 = internal only. */
  publish: number;
}

/** `POST /v1.0/Tickets/{id}/Notes` → `{itemId}`: the new note's id. */
export async function addTicketNote(session: AutotaskSession, input: TicketNoteInput): Promise<{ itemId: number }> {
  const { response } = await autotaskRequest(session, {
    operation: 'ticket.note',
    method: 'POST',
    path: `Tickets/${input.ticketId}/Notes`,
    json: {
      TicketID: input.ticketId,
      Title: input.title,
      Description: input.description,
      NoteType: input.noteType,
      Publish: input.publish,
    },
  });
  return { itemId: numberAt(response.body, 'itemId') ?? 0 };
}

/** `PATCH /v1.0/Tickets` with `{id, status}` (Autotask updates by id in the body) → `{itemId}`. */
export async function updateTicketStatus(
  session: AutotaskSession,
  input: { ticketId: number; status: number },
): Promise<{ itemId: number }> {
  const { response } = await autotaskRequest(session, {
    operation: 'ticket.status',
    method: 'PATCH',
    path: 'Tickets',
    json: { id: input.ticketId, status: input.status },
  });
  return { itemId: numberAt(response.body, 'itemId') ?? input.ticketId };
}

/** The ticket fields the update tool may set; anything left undefined is not sent (and not changed). */
export interface TicketUpdateInput {
  ticketId: number;
  status?: number | undefined;
  priority?: number | undefined;
  queueID?: number | undefined;
  title?: string | undefined;
  dueDateTime?: string | undefined;
}

/** `PATCH /v1.0/Tickets` with `{id, ...changed fields}`: Autotask changes only the fields sent. */
export async function updateTicket(session: AutotaskSession, input: TicketUpdateInput): Promise<{ itemId: number }> {
  const { ticketId, ...fields } = input;
  const changed = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  const { response } = await autotaskRequest(session, {
    operation: 'ticket.update',
    method: 'PATCH',
    path: 'Tickets',
    json: { id: ticketId, ...changed },
  });
  return { itemId: numberAt(response.body, 'itemId') ?? ticketId };
}

export interface TimeEntryInput {
  ticketId: number;
  resourceId: number;
  /** The role the resource worked in; Autotask requires one for ticket time. */
  roleId: number;
  /** `YYYY-MM-DD`. */
  dateWorked: string;
  hoursWorked: number;
  summaryNotes: string;
}

/** `POST /v1.0/TimeEntries {ticketID, resourceID, roleID, dateWorked, hoursWorked, summaryNotes}` → `{itemId}`. */
export async function addTimeEntry(session: AutotaskSession, input: TimeEntryInput): Promise<{ itemId: number }> {
  const { response } = await autotaskRequest(session, {
    operation: 'time_entry.create',
    method: 'POST',
    path: 'TimeEntries',
    json: {
      ticketID: input.ticketId,
      resourceID: input.resourceId,
      roleID: input.roleId,
      dateWorked: `${input.dateWorked}T00:00:00`,
      hoursWorked: input.hoursWorked,
      summaryNotes: input.summaryNotes,
    },
  });
  return { itemId: numberAt(response.body, 'itemId') ?? 0 };
}
