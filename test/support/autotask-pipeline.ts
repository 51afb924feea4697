import { createHmac, randomUUID } from 'node:crypto';
import { FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { type CallResult, call } from './http';

/**
 * The e2e arrangement for an Autotask ticket through the pipeline on a local host: an Autotask
 * integration on the fake, a SOP that notes disk-full tickets, and the integration's webhook; then
 * signed ticket-created callbacks to that webhook as Autotask sends them.
 */
export async function arrangeDiskFullSop(
  baseUrl: string,
  key: string,
  autotaskBaseUrl: string,
): Promise<{ integration: CallResult; sop: CallResult; webhook: CallResult }> {
  const integration = await call(baseUrl, 'POST', '/api/v1/integrations?skipTest=true', {
    key,
    body: {
      vendor: 'autotask',
      name: 'Autotask (fake)',
      credentials: FAKE_AUTOTASK_CREDENTIALS,
      config: { baseUrl: autotaskBaseUrl },
    },
  });
  const sop = await call(baseUrl, 'POST', '/api/v1/sops', {
    key,
    body: {
      name: 'Disk full: note on the ticket',
      match: { source: 'autotask', eventTypes: ['ticket.created'], keywords: ['disk_full'] },
      steps: [
        {
          tool: 'autotask.ticket.add_note',
          args: { ticketId: '{{event.entities.ticketId}}', description: 'Hub saw: {{event.subject}}' },
        },
      ],
    },
  });
  const webhook = await call(baseUrl, 'POST', '/api/v1/webhooks', {
    key,
    body: { integrationId: integration.json.id },
  });
  return { integration, sop, webhook };
}

/**
 * A ticket-created callback signed with the webhook's secret (Autotask's `x-hook-signature`).
 * `guid`: Autotask's delivery id, to post the same callback again (a fresh one by default).
 */
export function postAutotaskTicket(
  baseUrl: string,
  webhook: { id: string; secret: string },
  ticket: { id: number; fields: Record<string, unknown>; guid?: string },
): Promise<CallResult> {
  const body = JSON.stringify({
    Action: 'Create',
    Guid: ticket.guid ?? randomUUID(),
    EntityType: 'Ticket',
    Id: ticket.id,
    Fields: ticket.fields,
    EventTime: new Date().toISOString(),
    SequenceNumber: 1,
    PersonID: 29682885,
  });
  return call(baseUrl, 'POST', `/api/hooks/${webhook.id}`, {
    rawBody: body,
    headers: {
      'content-type': 'application/json',
      'x-hook-signature': `sha1=${createHmac('sha1', webhook.secret).update(body).digest('base64')}`,
    },
  });
}
