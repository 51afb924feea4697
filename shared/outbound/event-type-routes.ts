import { defineApiRoute } from '../api/api-route';
import { eventTypeListSchema } from './api-schemas';
import { listEventTypes } from './event-types';

/** API routes by operationId; functions/event-types-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  listEventTypes: defineApiRoute({
    method: 'GET',
    route: 'v1/event-types',
    operationId: 'listEventTypes',
    summary: 'The event types a subscription can receive, each with a JSON Schema and an example',
    tags: ['Subscriptions'],
    scope: 'subscriptions:read',
    responses: { 200: { description: 'Every event type.', schema: eventTypeListSchema } },
    handle: async () => ({ status: 200, body: { items: listEventTypes() } }),
  }),
};
