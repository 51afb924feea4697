import { defineApiRoute, problemSchema } from '../api/api-route';
import { recovered } from '../idempotency/replay-body';
import {
  matchPreviewBody,
  matchResultSchema,
  sopBody,
  sopIdParams,
  sopListQuery,
  sopListSchema,
  sopSchema,
} from './api-schemas';
import { sopDeps } from './deps';
import { matchSops } from './match';
import { sopRouteHeads as heads } from './route-heads';
import { createSop, deleteSop, enabledSops, getSop, listSops, replaceSop } from './sops';

const TAGS = ['SOPs'];
const notFound = { description: 'No such SOP in this tenant.', schema: problemSchema };

/** API routes by operationId; functions/sops-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  createSop: defineApiRoute({
    ...heads.createSop,
    summary: 'Create a SOP (checked against the tool catalog)',
    tags: TAGS,
    body: sopBody,
    responses: { 201: { description: 'Created.', schema: sopSchema } },
    recoverCreate: ({ principal }, created) =>
      recovered(201, () => getSop(sopDeps(), principal.tenantId, created.resourceId)),
    handle: async ({ principal, body, correlationId, idempotency }) => ({
      status: 201,
      body: await createSop(sopDeps(), principal, body, correlationId, idempotency?.resourceId),
    }),
  }),
  listSops: defineApiRoute({
    ...heads.listSops,
    summary: "List this tenant's SOPs, newest first",
    tags: TAGS,
    query: sopListQuery,
    responses: { 200: { description: 'A page of SOPs.', schema: sopListSchema } },
    handle: async ({ principal, query }) => ({ status: 200, body: await listSops(sopDeps(), principal, query) }),
  }),
  previewSopMatch: defineApiRoute({
    ...heads.previewSopMatch,
    summary: 'Which SOP an event would match, with the closest candidates and their scores',
    tags: TAGS,
    body: matchPreviewBody,
    responses: { 200: { description: 'The match result.', schema: matchResultSchema } },
    handle: async ({ principal, body }) => ({
      status: 200,
      body: matchSops(await enabledSops(sopDeps(), principal.tenantId), 'preview', {
        ...body.event,
        occurredAt: new Date(0).toISOString(),
      }),
    }),
  }),
  getSop: defineApiRoute({
    ...heads.getSop,
    summary: 'Get one SOP',
    tags: TAGS,
    params: sopIdParams,
    responses: { 200: { description: 'The SOP.', schema: sopSchema }, 404: notFound },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getSop(sopDeps(), principal.tenantId, params.id),
    }),
  }),
  replaceSop: defineApiRoute({
    ...heads.replaceSop,
    summary: 'Replace a SOP (runs in flight keep the version they started with)',
    tags: TAGS,
    params: sopIdParams,
    body: sopBody,
    responses: {
      200: { description: 'The new version.', schema: sopSchema },
      404: notFound,
      409: { description: 'Changed concurrently; read it again and retry.', schema: problemSchema },
    },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await replaceSop(sopDeps(), principal, params.id, body, correlationId),
    }),
  }),
  deleteSop: defineApiRoute({
    ...heads.deleteSop,
    summary: 'Delete a SOP',
    tags: TAGS,
    params: sopIdParams,
    responses: { 204: { description: 'Deleted.' }, 404: notFound },
    handle: async ({ principal, params, correlationId }) => {
      await deleteSop(sopDeps(), principal, params.id, correlationId);
      return { status: 204 };
    },
  }),
};
