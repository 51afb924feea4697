import { defineApiRoute, problemSchema } from '../api/api-route';
import { replayDeps } from '../replay/deps';
import { replaysOf } from '../replay/replay';
import { eventDetailSchema, eventIdParams, eventListSchema, eventsQuery } from './api-schemas';
import { getEventDetail } from './event-detail';
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
    params: eventIdParams,
    responses: {
      200: { description: 'The event.', schema: eventDetailSchema },
      404: { description: 'No such event in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params }) => {
      const detail = await getEventDetail(principal.tenantId, params.id);
      const replays = await replaysOf(replayDeps().account, principal.tenantId, params.id);
      return { status: 200, body: { ...detail, replays } };
    },
  }),
};
