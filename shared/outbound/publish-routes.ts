import { defineApiRoute } from '../api/api-route';
import * as df from '../sdk/durable-functions';
import { publishBody, publishedSchema } from './api-schemas';
import { outboundDeps } from './deps';
import { publishToSubscribers } from './publish';
import { publishRouteHeads as heads } from './route-heads';
import { durableStarter } from './starter';

/** API routes by operationId; functions/events-publish-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  /**
   * `POST /api/v1/events/publish`: an admin publishes one event. The registration declares the
   * durable client binding, which starts the deliveries' orchestrations.
   */
  publishEvent: defineApiRoute({
    ...heads.publishEvent,
    summary: 'Publish an event to every matching subscription (one delivery each)',
    tags: ['Subscriptions'],
    body: publishBody,
    responses: { 202: { description: 'Accepted; deliveries are under way.', schema: publishedSchema } },
    handle: async ({ principal, body, context }) => {
      const starter = durableStarter(df.getClient(context));
      const result = await publishToSubscribers(
        outboundDeps(),
        principal.tenantId,
        { type: body.type, data: body.data, source: 'admin' },
        starter,
      );
      return { status: 202, body: result };
    },
  }),
};
