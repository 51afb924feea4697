import { expectOk, numberAt } from '../core/errors';
import { type AutotaskSession, authHeaders, autotaskApiUrl, readAutotaskMessage, zoneUrl } from './index';

/**
 * Autotask writes the pipeline's tool calls make (VENDORS.md "Autotask PSA"). Each is one request
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
  const zone = await zoneUrl(session);
  const response = await session.http.request({
    operation: 'ticket.note',
    method: 'POST',
    url: autotaskApiUrl(zone.url, `Tickets/${input.ticketId}/Notes`),
    headers: authHeaders(session.credentials),
    json: {
      TicketID: input.ticketId,
      Title: input.title,
      Description: input.description,
      NoteType: input.noteType,
      Publish: input.publish,
    },
  });
  expectOk('autotask', 'ticket.note', response, readAutotaskMessage);
  return { itemId: numberAt(response.body, 'itemId') ?? 0 };
}

/** `PATCH /v1.0/Tickets` with `{id, status}` (Autotask updates by id in the body) → `{itemId}`. */
export async function updateTicketStatus(
  session: AutotaskSession,
  input: { ticketId: number; status: number },
): Promise<{ itemId: number }> {
  const zone = await zoneUrl(session);
  const response = await session.http.request({
    operation: 'ticket.status',
    method: 'PATCH',
    url: autotaskApiUrl(zone.url, 'Tickets'),
    headers: authHeaders(session.credentials),
    json: { id: input.ticketId, status: input.status },
  });
  expectOk('autotask', 'ticket.status', response, readAutotaskMessage);
  return { itemId: numberAt(response.body, 'itemId') ?? input.ticketId };
}
