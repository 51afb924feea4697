import { defineApiRoute, problemSchema } from '../api/api-route';
import { processBus } from '../bus/process-bus';
import { recovered, withoutSecret } from '../idempotency/replay-body';
import {
  createdWebhookSchema,
  createWebhookBody,
  pageQuery,
  pushWebhookBody,
  resumedWebhookSchema,
  rotateSecretBody,
  setWebhookFiltersBody,
  webhookIdParams,
  webhookListSchema,
  webhookSchema,
} from './api-schemas';
import { pushDeps, webhookDeps } from './deps';
import { releaseHeldEvents } from './held-events';
import { webhookRouteHeads as heads } from './route-heads';
import { pushWebhook } from './vendor-push';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  rotateWebhookSecret,
  setWebhookFilters,
  setWebhookPaused,
  setWebhookStatus,
  webhookIdFromSeed,
} from './webhooks';

const deps = webhookDeps;

const notFound = { 404: { description: 'No such webhook in this tenant.', schema: problemSchema } };

/** `POST /v1/webhooks/{id}/disable` and `/enable`: the same route but for the status it sets. */
function statusRoute(
  head: (typeof heads)['disableWebhook' | 'enableWebhook'],
  status: 'active' | 'disabled',
  summary: string,
) {
  return defineApiRoute({
    ...head,
    summary,
    tags: ['Webhooks'],
    params: webhookIdParams,
    responses: { 200: { description: 'The webhook.', schema: webhookSchema }, ...notFound },
    handle: async ({ principal, params, correlationId }) => ({
      status: 200,
      body: await setWebhookStatus(deps(), principal, params.id, status, correlationId),
    }),
  });
}

/** API routes by operationId; functions/webhooks-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  createWebhook: defineApiRoute({
    ...heads.createWebhook,
    replayBody: withoutSecret('secret'),
    summary: 'Register an inbound webhook (URL and secret are returned; the secret only here)',
    tags: ['Webhooks'],
    body: createWebhookBody,
    responses: {
      201: { description: 'Created; `secret` is shown only here.', schema: createdWebhookSchema },
      404: { description: 'No such integration in this tenant.', schema: problemSchema },
    },
    recoverCreate: ({ principal }, created) =>
      recovered(201, () => getWebhook(deps(), principal, webhookIdFromSeed(created.seed))),
    handle: async ({ principal, body, correlationId, idempotency }) => ({
      status: 201,
      body: await createWebhook(
        deps(),
        principal,
        body,
        correlationId,
        idempotency ? webhookIdFromSeed(idempotency.seed) : undefined,
      ),
    }),
  }),
  listWebhooks: defineApiRoute({
    ...heads.listWebhooks,
    summary: "List this tenant's inbound webhooks",
    tags: ['Webhooks'],
    query: pageQuery,
    responses: { 200: { description: 'A page of webhooks.', schema: webhookListSchema } },
    handle: async ({ principal, query }) => ({ status: 200, body: await listWebhooks(deps(), principal, query) }),
  }),
  getWebhook: defineApiRoute({
    ...heads.getWebhook,
    summary: 'Get one inbound webhook (never its secret)',
    tags: ['Webhooks'],
    params: webhookIdParams,
    responses: { 200: { description: 'The webhook.', schema: webhookSchema }, ...notFound },
    handle: async ({ principal, params }) => ({ status: 200, body: await getWebhook(deps(), principal, params.id) }),
  }),
  deleteWebhook: defineApiRoute({
    ...heads.deleteWebhook,
    summary: 'Delete an inbound webhook (deliveries answer 404 from then on)',
    tags: ['Webhooks'],
    params: webhookIdParams,
    responses: { 204: { description: 'Deleted.' }, ...notFound },
    handle: async ({ principal, params, correlationId }) => {
      await deleteWebhook(deps(), principal, params.id, correlationId);
      return { status: 204 };
    },
  }),
  disableWebhook: statusRoute(
    heads.disableWebhook,
    'disabled',
    'Disable an inbound webhook (deliveries answer 404 until enabled)',
  ),
  enableWebhook: statusRoute(heads.enableWebhook, 'active', 'Enable a disabled inbound webhook'),
  pauseWebhook: defineApiRoute({
    ...heads.pauseWebhook,
    summary: 'Pause an inbound webhook: deliveries are verified and stored `held`, processed on resume',
    tags: ['Webhooks'],
    params: webhookIdParams,
    responses: { 200: { description: 'The webhook, `paused: true`.', schema: webhookSchema }, ...notFound },
    handle: async ({ principal, params, correlationId }) => ({
      status: 200,
      body: (await setWebhookPaused(deps(), principal, params.id, true, correlationId)).view,
    }),
  }),
  resumeWebhook: defineApiRoute({
    ...heads.resumeWebhook,
    summary: 'Resume a paused inbound webhook; its held events are processed in received order',
    tags: ['Webhooks'],
    params: webhookIdParams,
    responses: {
      200: { description: 'The webhook and how many held events were sent on.', schema: resumedWebhookSchema },
      ...notFound,
    },
    handle: async ({ principal, params, correlationId }) => {
      const { view, pausedAt } = await setWebhookPaused(deps(), principal, params.id, false, correlationId);
      const release = await releaseHeldEvents({ bus: processBus }, principal.tenantId, params.id, pausedAt);
      return { status: 200, body: { ...view, ...release } };
    },
  }),
  rotateWebhookSecret: defineApiRoute({
    ...heads.rotateWebhookSecret,
    summary: 'Issue a new secret; the old one verifies for the grace period',
    tags: ['Webhooks'],
    params: webhookIdParams,
    body: rotateSecretBody,
    responses: {
      200: { description: 'The webhook with its new `secret` (shown only here).', schema: createdWebhookSchema },
      ...notFound,
    },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await rotateWebhookSecret(deps(), principal, params.id, body.graceSeconds, correlationId),
    }),
  }),
  pushWebhook: defineApiRoute({
    ...heads.pushWebhook,
    summary: 'Register the webhook at its vendor (Autotask, Halo PSA, Microsoft 365), recorded as ours',
    tags: ['Webhooks'],
    params: webhookIdParams,
    body: pushWebhookBody,
    bodyOptional: true,
    responses: {
      200: { description: 'The webhook with its `vendorRegistration`.', schema: webhookSchema },
      ...notFound,
      409: { description: 'Already registered at the vendor.', schema: problemSchema },
      422: { description: 'This source or state cannot be pushed.', schema: problemSchema },
      502: { description: 'The vendor refused or failed (its status and message).', schema: problemSchema },
    },
    handle: async ({ principal, params, body, correlationId }) => {
      await pushWebhook(pushDeps(), principal, params.id, body, correlationId);
      return { status: 200, body: await getWebhook(deps(), principal, params.id) };
    },
  }),
  setWebhookFilters: defineApiRoute({
    ...heads.setWebhookFilters,
    summary: 'Replace the ingest filters: matching events end `filtered`, not in SOP matching',
    description:
      'Each rule holds when all its criteria do (source, entity types, actions, field conditions in the SOP condition language); the first rule that holds filters the event. An empty list removes them. Seen by the validation stage within a few seconds.',
    tags: ['Webhooks'],
    params: webhookIdParams,
    body: setWebhookFiltersBody,
    responses: { 200: { description: 'The webhook with its filters.', schema: webhookSchema }, ...notFound },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await setWebhookFilters(deps(), principal, params.id, body.filters, correlationId),
    }),
  }),
};
