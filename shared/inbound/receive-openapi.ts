import { z } from 'zod';
import { problemSchema } from '../api/api-route';
import type { RouteConfig } from '../sdk/zod-to-openapi';

/**
 * The vendor-facing receive route as an OpenAPI path. It is no API route (no API key, no
 * route handler: shared/inbound/receive-hook.ts answers it), but a newcomer wiring a sender needs
 * its URL, headers and answers beside the route that creates the webhook.
 * functions/hooks-receive.ts adds it to the document; it is loaded when the document is generated.
 * The answers are receive.ts's; docs/webhooks-receiving.md explains each signature scheme.
 */
const acceptedSchema = z
  .object({ eventId: z.string().meta({ description: 'The stored event; see GET /v1/events/{id}.' }) })
  .meta({ id: 'WebhookAccepted' });

const duplicateSchema = z
  .object({ duplicate: z.literal(true), eventId: z.string() })
  .meta({ id: 'WebhookDuplicate', description: 'The delivery was seen before; nothing new is stored.' });

const header = (description: string) => z.string().optional().meta({ description });

export const receiveHookPath: RouteConfig = {
  method: 'post',
  path: '/hooks/{webhookId}',
  operationId: 'receiveWebhook',
  summary: 'Receive a vendor webhook delivery (signed by the sender, no API key)',
  description: [
    'The URL `POST /v1/webhooks` returns. The sender signs each delivery with the webhook secret,',
    'in one of these ways: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`;',
    'preferred, the timestamp must be within `WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS`), GitHub style',
    '(`X-Webhook-Signature: sha256=<hex HMAC-SHA256>`), Autotask (`X-Hook-Signature: sha1=…`),',
    'Microsoft Graph (`clientState` in the body) or Halo PSA (`Authorization: Basic`, the password is the secret).',
    'The body is JSON of at most `WEBHOOK_MAX_BODY_BYTES` (1 MiB by default). Refusals other than 404 and 413',
    'are listed under `GET /v1/failures`.',
  ].join(' '),
  tags: ['Webhooks'],
  // Explicitly no API key: the signature is the credential.
  security: [],
  request: {
    params: z.object({ webhookId: z.string().meta({ description: 'The id in the webhook URL.' }) }),
    query: z.object({
      validationToken: z
        .string()
        .optional()
        .meta({ description: "Microsoft Graph's subscription handshake: echoed back as text/plain." }),
    }),
    headers: z.object({
      'webhook-id': header('Standard Webhooks: unique per event, kept on re-sends (the dedup key).'),
      'webhook-timestamp': header('Standard Webhooks: Unix seconds of the send.'),
      'webhook-signature': header('Standard Webhooks: `v1,<base64 HMAC-SHA256(id.timestamp.body)>`.'),
      'x-webhook-signature': header('GitHub style: `sha256=<hex HMAC-SHA256 of the body>`.'),
      'x-hook-signature': header('Autotask: `sha1=<base64 HMAC-SHA1>`.'),
    }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.record(z.string(), z.unknown()).meta({
            description:
              'A generic sender sends `{type, subject?, severity?, keywords?, entities?, occurredAt?, data?}`; a vendor sends its own payload.',
          }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'Seen before (a duplicate), or the Graph handshake answered with the token as text.',
      content: {
        'application/json': { schema: duplicateSchema },
        'text/plain': { schema: z.string() },
      },
    },
    202: {
      description: 'Accepted and queued for validation.',
      content: { 'application/json': { schema: acceptedSchema } },
    },
    400: { description: '`malformed_json`.', content: { 'application/problem+json': { schema: problemSchema } } },
    401: {
      description:
        '`signature_missing`, `signature_invalid`, `signature_malformed`, `timestamp_out_of_range` or `client_state_mismatch`.',
      content: { 'application/problem+json': { schema: problemSchema } },
    },
    404: {
      description: '`webhook_not_found`: unknown or disabled webhook, tenant or integration.',
      content: { 'application/problem+json': { schema: problemSchema } },
    },
    413: { description: '`payload_too_large`.', content: { 'application/problem+json': { schema: problemSchema } } },
  },
};

/**
 * Autotask's deactivation callout: the URL the hub registers as a TicketWebhook's
 * `DeactivationUrl`. Autotask sends it unsigned, so the random token in the path (stored only as a
 * hash) is the credential; a wrong token answers 404 and changes nothing.
 */
export const deactivationHookPath: RouteConfig = {
  method: 'post',
  path: '/hooks/{webhookId}/deactivated/{token}',
  operationId: 'receiveVendorDeactivation',
  summary: "A vendor reports that it deactivated the hub's webhook registration (Autotask)",
  description:
    'Registered by the hub when it pushes an Autotask TicketWebhook; never called by an admin. The registration is marked inactive (visible on the webhook) and the callout is audited.',
  tags: ['Webhooks'],
  security: [],
  request: {
    params: z.object({
      webhookId: z.string().meta({ description: 'The id in the webhook URL.' }),
      token: z.string().meta({ description: 'The per-registration token the hub put in the deactivation URL.' }),
    }),
  },
  responses: {
    200: {
      description: 'Recorded.',
      content: {
        'application/json': {
          schema: z.object({ deactivated: z.literal(true), flagged: z.boolean() }).meta({ id: 'VendorDeactivation' }),
        },
      },
    },
    404: {
      description: '`webhook_not_found`: unknown webhook or wrong token.',
      content: { 'application/problem+json': { schema: problemSchema } },
    },
  },
};
