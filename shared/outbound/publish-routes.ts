import { countTransactionNow } from '../analytics/deps';
import { defineApiRoute } from '../api/api-route';
import { processBus } from '../bus/process-bus';
import { isDomainError } from '../errors/domain-error';
import { errorMapping } from '../http/error-table';
import { publishBody, publishedSchema } from './api-schemas';
import { outboundDeps } from './deps';
import { queueStarter } from './first-attempt';
import { publishToSubscribers } from './publish';
import { publishRouteHeads as heads } from './route-heads';

/** API routes by operationId; functions/events-publish-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  /**
   * `POST /api/v1/events/publish`: an admin publishes one event. Each delivery's first attempt is
   * handed to the first-attempt queue (shared/outbound/first-attempt.ts).
   */
  publishEvent: defineApiRoute({
    ...heads.publishEvent,
    summary: 'Publish an event to every matching subscription (one delivery each)',
    tags: ['Subscriptions'],
    body: publishBody,
    responses: { 202: { description: 'Accepted; deliveries are under way.', schema: publishedSchema } },
    handle: async ({ principal, body, idempotency }) => {
      const tx = { tenantId: principal.tenantId, type: 'custom_event' as const, integrationId: body.type };
      try {
        const starter = queueStarter(processBus());
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
