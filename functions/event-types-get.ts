import { app } from '@azure/functions';
import { apiRoute } from '../shared/http/api-route';
import { eventTypeListSchema } from '../shared/outbound/api-schemas';
import { listEventTypes } from '../shared/outbound/event-types';

app.http(
  'event-types-get',
  apiRoute({
    method: 'GET',
    route: 'v1/event-types',
    operationId: 'listEventTypes',
    summary: 'The event types a subscription can receive, each with a JSON Schema and an example',
    tags: ['Subscriptions'],
    scope: 'subscriptions:read',
    responses: { 200: { description: 'Every event type.', schema: eventTypeListSchema } },
    handle: async () => ({ status: 200, body: { items: listEventTypes() } }),
  }),
);
