import { AsyncLocalStorage } from 'node:async_hooks';
import { app, type InvocationContext } from '@azure/functions';
import { apiRoute } from '../shared/http/api-route';
import { publishBody, publishedSchema } from '../shared/outbound/api-schemas';
import { outboundDeps } from '../shared/outbound/deps';
import { publishToSubscribers } from '../shared/outbound/publish';
import { durableStarter } from '../shared/outbound/starter';
import * as df from '../shared/sdk/durable-functions';

/**
 * `POST /api/v1/events/publish`: an admin publishes one event. The route needs the durable client
 * binding to start the deliveries' orchestrations; apiRoute's handler does not see the invocation
 * context, so the wrapper below hands it over for the duration of the call.
 */
const invocation = new AsyncLocalStorage<InvocationContext>();

const route = apiRoute({
  method: 'POST',
  route: 'v1/events/publish',
  operationId: 'publishEvent',
  summary: 'Publish an event to every matching subscription (one delivery each)',
  tags: ['Subscriptions'],
  scope: 'admin',
  body: publishBody,
  responses: { 202: { description: 'Accepted; deliveries are under way.', schema: publishedSchema } },
  handle: async ({ principal, body }) => {
    const context = invocation.getStore();
    if (!context) throw new Error('events-publish: no invocation context');
    const starter = durableStarter(df.getClient(context));
    const result = await publishToSubscribers(
      outboundDeps(),
      principal.tenantId,
      { type: body.type, data: body.data, source: 'admin' },
      starter,
    );
    return { status: 202, body: result };
  },
});

app.http('events-publish', {
  ...route,
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => invocation.run(context, () => route.handler(request, context)),
});
