import type { VendorRequest, VendorResponse } from '../contract';
import { expectOk, isRecord, numberAt, pathValue } from '../core/errors';
import { readHaloMessage } from './api';
import { type HaloSession, haloBearerCall } from './auth';
import { haloBaseUrl } from './config';

/** Halo PSA writes for tool calls. Halo writes are POSTs of arrays (docs/vendors.md). */

/** Client credentials or the authorised grant, as the integration is configured (auth.ts). */
async function haloCall(session: HaloSession, build: (token: string) => VendorRequest): Promise<VendorResponse> {
  return (await haloBearerCall(session, build)).response;
}

export interface HaloActionInput {
  ticketId: number;
  note: string;
  /** Halo's action outcome label, e.g. "Note" or "Private Note". */
  outcome: string;
  hiddenFromUser: boolean;
}

/** `POST /api/Actions [ {ticket_id, note, outcome, hiddenfromuser} ]` → the saved action (or a list of them). */
export async function addTicketAction(session: HaloSession, input: HaloActionInput): Promise<{ actionId: number }> {
  const response = await haloCall(session, (token) => ({
    operation: 'ticket.action',
    method: 'POST',
    url: `${haloBaseUrl(session.config)}/api/Actions`,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    json: [
      {
        ticket_id: input.ticketId,
        note: input.note,
        outcome: input.outcome,
        hiddenfromuser: input.hiddenFromUser,
      },
    ],
  }));
  expectOk('halopsa', 'ticket.action', response, readHaloMessage);
  // Halo answers with the saved object, or an array of them; parse defensively.
  const saved = Array.isArray(response.body) ? response.body[0] : response.body;
  return { actionId: (isRecord(saved) ? numberAt(saved, 'id') : numberAt(pathValue(saved, 0), 'id')) ?? 0 };
}
