import { callWithBearer, requestToken } from '../client-credentials';
import type { VendorRequest, VendorResponse } from '../contract';
import { expectOk, isRecord, numberAt, pathValue } from '../core/errors';
import { haloTokenRequest, readHaloMessage } from './api';
import { haloBaseUrl } from './config';
import { type HaloSession, tokenKey } from './index';

/** Halo PSA writes for tool calls. Halo writes are POSTs of arrays (docs/vendors.md). */

function haloCall(session: HaloSession, build: (token: string) => VendorRequest): Promise<VendorResponse> {
  return callWithBearer({
    http: session.http,
    cacheKey: tokenKey(session),
    fetchToken: () =>
      requestToken('halopsa', session.http, haloTokenRequest(session.credentials, session.config), readHaloMessage),
    build,
  });
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
