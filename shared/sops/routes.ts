import { defineApiRoute, problemSchema } from '../api/api-route';
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
import { createSop, deleteSop, enabledSops, getSop, listSops, replaceSop } from './sops';

const TAGS = ['SOPs'];
const notFound = { description: 'No such SOP in this tenant.', schema: problemSchema };

/** API routes by operationId; functions/sops-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  createSop: defineApiRoute({
    method: 'POST',
    route: 'v1/sops',
    operationId: 'createSop',
    summary: 'Create a SOP (checked against the tool catalog)',
    tags: TAGS,
    scope: 'sops:write',
    body: sopBody,
    responses: { 201: { description: 'Created.', schema: sopSchema } },
    handle: async ({ principal, body, correlationId }) => ({
      status: 201,
      body: await createSop(sopDeps(), principal, body, correlationId),
    }),
  }),
  listSops: defineApiRoute({
    method: 'GET',
    route: 'v1/sops',
    operationId: 'listSops',
    summary: "List this tenant's SOPs, newest first",
    tags: TAGS,
    scope: 'sops:read',
    query: sopListQuery,
    responses: { 200: { description: 'A page of SOPs.', schema: sopListSchema } },
    handle: async ({ principal, query }) => ({ status: 200, body: await listSops(sopDeps(), principal, query) }),
  }),
  previewSopMatch: defineApiRoute({
    method: 'POST',
    route: 'v1/sops/match',
    operationId: 'previewSopMatch',
    summary: 'Which SOP an event would match, with the closest candidates and their scores',
    tags: TAGS,
    scope: 'sops:read',
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
    method: 'GET',
    route: 'v1/sops/{id}',
    operationId: 'getSop',
    summary: 'Get one SOP',
    tags: TAGS,
    scope: 'sops:read',
    params: sopIdParams,
    responses: { 200: { description: 'The SOP.', schema: sopSchema }, 404: notFound },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getSop(sopDeps(), principal.tenantId, params.id),
    }),
  }),
  replaceSop: defineApiRoute({
    method: 'PUT',
    route: 'v1/sops/{id}',
    operationId: 'replaceSop',
    summary: 'Replace a SOP (runs in flight keep the version they started with)',
    tags: TAGS,
    scope: 'sops:write',
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
    method: 'DELETE',
    route: 'v1/sops/{id}',
    operationId: 'deleteSop',
    summary: 'Delete a SOP',
    tags: TAGS,
    scope: 'sops:write',
    params: sopIdParams,
    responses: { 204: { description: 'Deleted.' }, 404: notFound },
    handle: async ({ principal, params, correlationId }) => {
      await deleteSop(sopDeps(), principal, params.id, correlationId);
      return { status: 204 };
    },
  }),
};
