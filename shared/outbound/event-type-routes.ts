import { defineApiRoute } from '../api/api-route';
import { eventTypeListSchema } from './api-schemas';
import { listEventTypes } from './event-types';
import { eventTypeRouteHeads as heads } from './route-heads';

/** API routes by operationId; functions/event-types-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  listEventTypes: defineApiRoute({
    ...heads.listEventTypes,
    summary: 'The event types a subscription can receive, each with a JSON Schema and an example',
    tags: ['Subscriptions'],
    responses: { 200: { description: 'Every event type.', schema: eventTypeListSchema } },
    handle: async () => ({ status: 200, body: { items: listEventTypes() } }),
  }),
};
