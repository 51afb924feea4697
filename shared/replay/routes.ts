import { z } from 'zod';
import { defineApiRoute, problemSchema } from '../api/api-route';
import { errorMapping } from '../http/error-table';
import { replayDeps } from './deps';
import { replayEvent, replayEvents } from './replay';
import { replayRouteHeads as heads } from './route-heads';

const eventIdParams = z.strictObject({ id: z.string().min(1).max(64) });

const replayProblems = {
  404: { description: 'No such event in this tenant.', schema: problemSchema },
  409: {
    description: '`replay_in_flight`: a replay of the same root event is in flight (`conflicting_replay_id`).',
    schema: problemSchema,
  },
  422: {
    description: '`replay_confirmation_required`: the event succeeded; repeat with ?force=true.',
    schema: problemSchema,
  },
  429: {
    description:
      '`replay_cooldown` (the root was replayed < 5 min ago) or `replay_rate_limit` (10 per tenant per minute); `retry_after_seconds` and Retry-After say when.',
    schema: problemSchema,
  },
};

const forceQuery = z.strictObject({
  force: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .meta({ description: 'Replay even though the event succeeded (audited); bypasses only that guard.' }),
});

const replayAcceptedSchema = z.object({ eventId: z.string(), replayOf: z.string() }).meta({ id: 'ReplayAccepted' });

const bulkBody = z
  .strictObject({
    eventIds: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'must not name an event twice'),
    force: z.boolean().default(false),
  })
  .meta({ id: 'BulkReplay' });

const bulkResultSchema = z
  .object({
    items: z.array(
      z
        .object({
          eventId: z.string(),
          status: z.number(),
          replayEventId: z.string().optional(),
          code: z.string().optional(),
        })
        .catchall(z.unknown()),
    ),
  })
  .meta({ id: 'BulkReplayResult' });

/** Replay's routes by operationId; functions/events-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  replayEvent: defineApiRoute({
    ...heads.replayEvent,
    summary: 'Replay an event: its original payload as a new event through the whole pipeline',
    tags: ['Events'],
    params: eventIdParams,
    query: forceQuery,
    responses: { 202: { description: 'Accepted as a new event.', schema: replayAcceptedSchema }, ...replayProblems },
    handle: async ({ principal, params, query, correlationId }) => ({
      status: 202,
      body: await replayEvent(replayDeps(), principal, params.id, {
        force: query.force,
        trigger: 'manual',
        correlationId,
      }),
    }),
  }),
  replayEvents: defineApiRoute({
    ...heads.replayEvents,
    summary: 'Replay up to 100 events; each item answers with the status and code a single replay would',
    tags: ['Events'],
    body: bulkBody,
    responses: { 200: { description: 'One result per event id, in order.', schema: bulkResultSchema } },
    handle: async ({ principal, body, correlationId }) => ({
      status: 200,
      body: {
        items: await replayEvents(
          replayDeps(),
          principal,
          body.eventIds,
          { force: body.force, correlationId },
          (error) => errorMapping(error.code).status,
        ),
      },
    }),
  }),
};
