import { countTransactionNow } from '../analytics/deps';
import { defineApiRoute } from '../api/api-route';
import { isDomainError } from '../errors/domain-error';
import { errorMapping } from '../http/error-table';
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
    handle: async ({ principal, body, context, idempotency }) => {
      const tx = { tenantId: principal.tenantId, type: 'custom_event' as const, integrationId: body.type };
      try {
        const starter = durableStarter(df.getClient(context));
        const result = await publishToSubscribers(
          outboundDeps(),
          principal.tenantId,
          // Under an Idempotency-Key the event id is the key's: a retry after a crash publishes nothing twice.
          { type: body.type, data: body.data, source: 'admin', key: idempotency?.resourceId },
          starter,
        );
        await countTransactionNow({ ...tx, ok: true, code: 202 });
        return { status: 202, body: result };
      } catch (error) {
        await countTransactionNow({
          ...tx,
          ok: false,
          code: refusalCode(error),
          description: isDomainError(error) ? error.message : 'The publish failed inside the hub.',
          service: 'publish',
        });
        throw error;
      }
    },
  }),
};

/** The status a refused publish answers with (a problem's status; 500 for anything unexpected). */
function refusalCode(error: unknown): number {
  return isDomainError(error) ? errorMapping(error.code).status : 500;
}
