import { z } from 'zod';
import { EVENT_STATUSES, EVENT_TRIGGERS, STAGES } from '../events/contract';
import { failureSchema } from '../failures/api-schemas';
import { integrationIdSchema } from '../validation/ids';
import { apiInstant } from '../validation/instant';
import { displayName } from '../validation/text';
import { waitSeconds } from '../validation/wait';
import { ingestFiltersSchema } from './ingest-filter';

/** HTTP shapes of /api/v1/webhooks and /api/v1/events (docs/design.md §5.5). */

export const createWebhookBody = z
  .strictObject({
    integrationId: integrationIdSchema.optional().meta({
      description: 'The integration whose vendor sends to this webhook. Omit for a generic sender (source `generic`).',
    }),
    name: displayName.optional(),
    filters: ingestFiltersSchema.optional(),
  })
  .meta({ id: 'CreateWebhook' });

export const setWebhookFiltersBody = z.strictObject({ filters: ingestFiltersSchema }).meta({ id: 'SetWebhookFilters' });

export const vendorRegistrationViewSchema = z
  .object({
    vendor: z.string(),
    vendorId: z.string().meta({ description: "The vendor's id of what the hub created (recorded as ours)." }),
    fieldIds: z.array(z.string()).optional(),
    resource: z.string().optional(),
    changeType: z.string().optional(),
    expiresAt: z.string().optional().meta({ description: 'Graph: renewed by the hub before this time.' }),
    pushedAt: z.string(),
    renewedAt: z.string().optional(),
    active: z.boolean().meta({ description: 'False once the vendor reported it turned the registration off.' }),
    deactivatedAt: z.string().optional().meta({ description: 'Autotask: when its deactivation callout arrived.' }),
    removedAt: z
      .string()
      .optional()
      .meta({ description: 'Graph: when it reported the subscription removed; the hub re-creates it.' }),
    actionDueAt: z
      .string()
      .optional()
      .meta({ description: 'Graph: a lifecycle notification asked for a renewal or re-creation not yet done.' }),
    missed: z
      .object({ count: z.number().int(), lastAt: z.string() })
      .optional()
      .meta({ description: 'Graph: notifications it could not deliver (events were lost; resynchronise).' }),
  })
  .meta({ id: 'VendorRegistration' });

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string().meta({ description: 'Where the vendor posts: https://<public base>/api/hooks/{id}.' }),
    integrationId: z.string().nullable(),
    source: z.string(),
    name: z.string(),
    status: z.enum(['active', 'disabled']),
    paused: z.boolean(),
    pausedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    createdBy: z.string(),
    secretRotatedAt: z.string().nullable(),
    previousSecretExpiresAt: z.string().nullable(),
    vendorRegistration: vendorRegistrationViewSchema.nullable().meta({
      description: 'What the hub created at the vendor for this webhook (POST …/push), or null.',
    }),
    filters: ingestFiltersSchema,
  })
  .meta({ id: 'Webhook' });

export const resumedWebhookSchema = webhookSchema
  .extend({
    released: z.number().int().meta({ description: 'Held events sent on to processing by this call, oldest first.' }),
    more: z.boolean().meta({ description: 'More held events remain: call resume again.' }),
  })
  .meta({ id: 'ResumedWebhook' });

export const pushWebhookBody = z
  .strictObject({
    fieldIds: z.array(z.number().int().positive()).max(50).optional().meta({
      description:
        'Autotask (required): ticket field ids (the TicketWebhookField fieldID picklist of your Autotask database) whose changes send events; Autotask sends nothing for a TicketWebhook without fields.',
    }),
    resource: z.string().min(1).max(500).optional().meta({
      description: 'Microsoft 365: the Graph resource to watch (default `users`).',
    }),
    changeType: z
      .string()
      .regex(/^(created|updated|deleted)(,(created|updated|deleted))*$/)
      .optional()
      .meta({ description: 'Microsoft 365: comma-separated change types (default `updated`).' }),
  })
  .meta({ id: 'PushWebhook' });

export const createdWebhookSchema = webhookSchema
  .extend({ secret: z.string().meta({ description: 'whsec_…; shown only in this response.' }) })
  .meta({ id: 'CreatedWebhook' });

export const webhookListSchema = z
  .object({ items: z.array(webhookSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookList' });

export const webhookIdParams = z.strictObject({ id: z.string().min(1).max(64) });

export const rotateSecretBody = z
  .strictObject({
    graceSeconds: z.number().int().min(0).max(604_800).default(86_400).meta({
      description: 'How long the previous secret keeps verifying (default 24 h, at most 7 days; 0 = at once).',
    }),
  })
  .meta({ id: 'RotateWebhookSecret' });

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(4096).optional(),
});

const isoTime = apiInstant;

export const eventsQuery = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(4096).optional(),
    status: z.enum(EVENT_STATUSES).optional(),
    source: z.string().min(1).max(64).optional(),
    type: z.string().min(1).max(100).optional(),
    stage: z.enum(STAGES).optional(),
    errorType: z.string().min(1).max(64).optional(),
    from: isoTime.optional().meta({ description: 'Received at or after (default: 7 days before `to`).' }),
    to: isoTime.optional().meta({ description: 'Received at or before (default: now).' }),
  })
  .meta({ id: 'EventsQuery' });

export const eventSummarySchema = z
  .object({
    id: z.string(),
    source: z.string(),
    type: z.string().nullable(),
    status: z.enum(EVENT_STATUSES),
    stage: z.enum(STAGES),
    receivedAt: z.string(),
    trigger: z.enum(EVENT_TRIGGERS),
    replayOf: z.string().nullable(),
    webhookId: z.string().nullable(),
    integrationId: z.string().nullable(),
    errorType: z.string().nullable(),
    filteredBy: z.string().nullable().meta({ description: 'The ingest filter that dropped the event (`filtered`).' }),
    payloadPreview: z.string(),
    payloadBytes: z.number(),
  })
  .meta({ id: 'EventSummary' });

export const eventListSchema = z
  .object({ items: z.array(eventSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'EventList' });

export const eventDetailSchema = eventSummarySchema
  .extend({
    rootEventId: z.string(),
    sopId: z.string().nullable(),
    agentRunId: z.string().nullable(),
    correlationId: z.string(),
    normalized: z.unknown().nullable(),
    timeline: z.array(
      z.object({
        stage: z.enum(STAGES),
        step: z.string(),
        attempt: z.number(),
        outcome: z.string(),
        startedAt: z.string(),
        finishedAt: z.string(),
        durationMs: z.number(),
        detail: z.string().optional(),
        errorType: z.string().optional(),
        message: z.string().optional(),
      }),
    ),
    failure: failureSchema.nullable(),
    replays: z.array(
      z.object({ eventId: z.string(), at: z.string(), trigger: z.enum(EVENT_TRIGGERS), forced: z.boolean() }),
    ),
  })
  .meta({ id: 'Event' });

export const eventIdParams = z.strictObject({ id: z.string().min(1).max(64) });

export const eventGetQuery = z.strictObject({
  waitFor: z.enum(['terminal', 'resting']).optional().meta({
    description:
      'Wait until the event is `terminal` (`succeeded` or `failed`) or `resting` (terminal, or `awaiting_approval`, where it waits for a person), or until `timeout` has passed; then answer with the event as it is.',
  }),
  timeout: waitSeconds.meta({ description: 'Seconds (0–20) `waitFor` may wait; default 10.' }),
});
