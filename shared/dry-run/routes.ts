import { defineApiRoute, problemSchema } from '../api/api-route';
import { dryRunIdParams, dryRunResultSchema, webhookTestBody } from './api-schemas';
import { dryRunDeps } from './deps';
import { dryRunEvent, dryRunWebhook } from './dry-run';
import { dryRunRouteHeads as heads } from './route-heads';

const WHAT_IT_DOES =
  'Runs validation, the ingest filters, SOP matching and agent planning, and renders every tool call with its arguments; answers with what would happen (the matched SOP and its score, each step, which would need an approval). Nothing is written: no event, no agent run, no approval, no vendor call.';

/** API routes by operationId; functions/dry-run-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  testWebhook: defineApiRoute({
    ...heads.testWebhook,
    summary: 'Dry-run a payload through the pipeline as if the vendor had sent it to this webhook',
    description: `${WHAT_IT_DOES} Without a payload, an example of the webhook's source is used.`,
    tags: ['Webhooks'],
    params: dryRunIdParams,
    body: webhookTestBody,
    bodyOptional: true,
    responses: {
      200: { description: 'What would happen.', schema: dryRunResultSchema },
      404: { description: 'No such webhook in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params, body }) => ({
      status: 200,
      body: await dryRunWebhook(dryRunDeps(), principal, params.id, body.payload),
    }),
  }),
  dryRunEvent: defineApiRoute({
    ...heads.dryRunEvent,
    summary: 'Dry-run a stored event: what replaying it would do now',
    description: `${WHAT_IT_DOES} A replay is not filtered: a filter that would drop the vendor's delivery is reported, not applied.`,
    tags: ['Events'],
    params: dryRunIdParams,
    responses: {
      200: { description: 'What would happen.', schema: dryRunResultSchema },
      404: { description: 'No such event in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await dryRunEvent(dryRunDeps(), principal, params.id),
    }),
  }),
};
