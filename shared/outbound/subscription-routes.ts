import { defineApiRoute, problemSchema } from '../api/api-route';
import { processBus } from '../bus/process-bus';
import { recovered, withoutSecret } from '../idempotency/replay-body';
import {
  createdSubscriptionSchema,
  createSubscriptionBody,
  idParams,
  pageQuery,
  recoverBody,
  recoverSchema,
  rotateSecretBody,
  subscriptionListSchema,
  subscriptionSchema,
  updateSubscriptionBody,
} from './api-schemas';
import { outboundDeps } from './deps';
import { pauseSubscription, resumeSubscription } from './pause';
import { getRecover, startRecover } from './recover';
import { subscriptionRouteHeads as heads } from './route-heads';
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  rotateSubscriptionSecret,
  updateSubscription,
} from './subscriptions';

const tags = ['Subscriptions'];
const notFound = { description: 'No such subscription in this tenant.', schema: problemSchema };

/** API routes by operationId; functions/subscriptions-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  createSubscription: defineApiRoute({
    ...heads.createSubscription,
    replayBody: withoutSecret('secret'),
    summary: 'Subscribe a URL to events (the signing secret is returned once)',
    tags,
    body: createSubscriptionBody,
    responses: { 201: { description: 'Created; `secret` is shown only here.', schema: createdSubscriptionSchema } },
    recoverCreate: ({ principal }, created) =>
      recovered(201, () => getSubscription(outboundDeps(), principal.tenantId, created.resourceId)),
    handle: async ({ principal, body, correlationId, idempotency }) => ({
      status: 201,
      body: await createSubscription(outboundDeps(), principal, body, correlationId, idempotency?.resourceId),
    }),
  }),
  listSubscriptions: defineApiRoute({
    ...heads.listSubscriptions,
    summary: 'List subscriptions with their endpoint health, newest first',
    tags,
    query: pageQuery,
    responses: { 200: { description: 'A page of subscriptions.', schema: subscriptionListSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await listSubscriptions(outboundDeps(), principal.tenantId, query),
    }),
  }),
  getSubscription: defineApiRoute({
    ...heads.getSubscription,
    summary: 'Get one subscription and its endpoint health (never the secret)',
    tags,
    params: idParams,
    responses: { 200: { description: 'The subscription.', schema: subscriptionSchema }, 404: notFound },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getSubscription(outboundDeps(), principal.tenantId, params.id),
    }),
  }),
  updateSubscription: defineApiRoute({
    ...heads.updateSubscription,
    summary: 'Change a subscription; `enabled: true` re-enables one that was disabled',
    tags,
    params: idParams,
    body: updateSubscriptionBody,
    responses: { 200: { description: 'The subscription.', schema: subscriptionSchema }, 404: notFound },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await updateSubscription(outboundDeps(), principal, params.id, body, correlationId),
    }),
  }),
  deleteSubscription: defineApiRoute({
    ...heads.deleteSubscription,
    summary: 'Delete a subscription and its secret',
    tags,
    params: idParams,
    responses: { 204: { description: 'Deleted.' }, 404: notFound },
    handle: async ({ principal, params, correlationId }) => {
      await deleteSubscription(outboundDeps(), principal, params.id, correlationId);
      return { status: 204 };
    },
  }),
  rotateSubscriptionSecret: defineApiRoute({
    ...heads.rotateSubscriptionSecret,
    summary: 'Issue a new signing secret; the previous one keeps signing for up to 24 h',
    tags,
    params: idParams,
    body: rotateSecretBody,
    responses: {
      200: {
        description: 'The subscription with the new `secret` (shown only here).',
        schema: createdSubscriptionSchema,
      },
      404: notFound,
    },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await rotateSubscriptionSecret(outboundDeps(), principal, params.id, body.overlapHours, correlationId),
    }),
  }),
  pauseSubscription: defineApiRoute({
    ...heads.pauseSubscription,
    summary: 'Pause a subscription: new deliveries are held (not skipped) until it is resumed',
    tags,
    params: idParams,
    responses: { 200: { description: 'The subscription, `paused: true`.', schema: subscriptionSchema }, 404: notFound },
    handle: async ({ principal, params, correlationId }) => {
      const deps = outboundDeps();
      await pauseSubscription(deps, principal, params.id, correlationId);
      return { status: 200, body: await getSubscription(deps, principal.tenantId, params.id) };
    },
  }),
  resumeSubscription: defineApiRoute({
    ...heads.resumeSubscription,
    summary: 'Resume a subscription; its held deliveries are sent oldest first (progress in `release`)',
    tags,
    params: idParams,
    responses: {
      200: { description: 'The subscription with the release under way.', schema: subscriptionSchema },
      404: notFound,
    },
    handle: async ({ principal, params, correlationId }) => {
      const deps = outboundDeps();
      await resumeSubscription(deps, principal, params.id, correlationId, processBus());
      return { status: 200, body: await getSubscription(deps, principal.tenantId, params.id) };
    },
  }),
  recoverSubscription: defineApiRoute({
    ...heads.recoverSubscription,
    summary: 'Re-send every delivery of the subscription that ended failed in a window (a background task)',
    tags,
    params: idParams,
    body: recoverBody,
    responses: {
      202: { description: 'The recover task, started.', schema: recoverSchema },
      404: notFound,
      409: { description: 'A recover of this subscription is running (`recover_in_flight`).', schema: problemSchema },
    },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 202,
      body: await startRecover(outboundDeps(), principal, params.id, body, correlationId, processBus()),
    }),
  }),
  getSubscriptionRecover: defineApiRoute({
    ...heads.getSubscriptionRecover,
    summary: "The subscription's last recover task and its progress",
    tags,
    params: idParams,
    responses: { 200: { description: 'The recover task.', schema: recoverSchema }, 404: notFound },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getRecover(outboundDeps(), principal.tenantId, params.id),
    }),
  }),
};
