import { defineApiRoute, problemSchema } from '../api/api-route';
import { replayDeps } from '../replay/deps';
import { replaysOf } from '../replay/replay';
import { eventDetailSchema, eventGetQuery, eventIdParams, eventListSchema, eventsQuery } from './api-schemas';
import { getEventDetail, waitForEvent } from './event-detail';
import { listEvents } from './list-events';
import { eventRouteHeads as heads } from './route-heads';

/** API routes by operationId; functions/events-api.ts registers each; replays are in shared/replay/routes.ts and the failures list in shared/failures/routes.ts (docs/decisions.md §38). */
export const routes = {
  listEvents: defineApiRoute({
    ...heads.listEvents,
    summary: 'List inbound events, newest first (filters: status, source, type, stage, errorType, from/to)',
    tags: ['Events'],
    query: eventsQuery,
    responses: { 200: { description: 'A page of events.', schema: eventListSchema } },
    handle: async ({ principal, query }) => {
      const { limit, cursor, ...filters } = query;
      return { status: 200, body: await listEvents(principal.tenantId, filters, { limit, cursor }) };
    },
  }),
  getEvent: defineApiRoute({
    ...heads.getEvent,
    summary: 'One event with its timeline, failure analysis and replays',
    tags: ['Events'],
    description:
      'With `waitFor=terminal` the call waits (at most `timeout` seconds, default 10, never over 20) until the event has succeeded or failed — `waitFor=resting` also stops at `awaiting_approval` — then answers with the event as it is; a status short of that means the wait ran out.',
    params: eventIdParams,
    query: eventGetQuery,
    responses: {
      200: { description: 'The event.', schema: eventDetailSchema },
      404: { description: 'No such event in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params, query }) => {
      if (query.waitFor) await waitForEvent(principal.tenantId, params.id, query.waitFor, query.timeout ?? 10);
      const detail = await getEventDetail(principal.tenantId, params.id);
      const replays = await replaysOf(replayDeps().account, principal.tenantId, params.id);
      return { status: 200, body: { ...detail, replays } };
    },
  }),
};
