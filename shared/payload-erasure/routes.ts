import { z } from 'zod';
import { defineApiRoute, problemSchema } from '../api/api-route';
import { erasureDeps } from './deps';
import { erasePayloadOnRequest } from './payloads';
import { payloadErasureRouteHeads as heads } from './route-heads';

const eventIdParams = z.strictObject({ id: z.string().min(1).max(64) });

/** API routes by operationId; functions/events-payload-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  eraseEventPayload: defineApiRoute({
    ...heads.eraseEventPayload,
    summary: "Erase an event's payload on request; its metadata, timeline and counts stay (idempotent)",
    tags: ['Events'],
    params: eventIdParams,
    responses: {
      204: { description: 'The payload is erased (now or before).' },
      404: { description: 'No such event in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params, correlationId }) => {
      await erasePayloadOnRequest(erasureDeps(), principal, params.id, correlationId);
      return { status: 204 };
    },
  }),
};
