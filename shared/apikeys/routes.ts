import { defineApiRoute, problemSchema } from '../api/api-route';
import { recovered, withoutSecret } from '../idempotency/replay-body';
import { createApiKey, getApiKey, listApiKeys, revokeApiKey } from './api-keys';
import {
  apiKeyListSchema,
  apiKeySchema,
  createApiKeyBody,
  createdApiKeySchema,
  idParams,
  pageQuery,
} from './api-schemas';
import { apiKeyDeps } from './deps';
import { apikeysRouteHeads as heads } from './route-heads';

const deps = apiKeyDeps;

/** API routes by operationId; functions/api-keys-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  createApiKey: defineApiRoute({
    ...heads.createApiKey,
    replayBody: withoutSecret('key'),
    summary: 'Create an API key (the key is returned once)',
    tags: ['API keys'],
    body: createApiKeyBody,
    responses: { 201: { description: 'Created; `key` is shown only here.', schema: createdApiKeySchema } },
    recoverCreate: ({ principal }, created) =>
      recovered(201, () => getApiKey(deps(), principal, created.resourceId.toLowerCase())),
    handle: async ({ principal, body, correlationId, idempotency }) => ({
      status: 201,
      body: await createApiKey(deps(), principal, body, correlationId, idempotency?.resourceId.toLowerCase()),
    }),
  }),
  listApiKeys: defineApiRoute({
    ...heads.listApiKeys,
    summary: "List this tenant's API keys that this key may manage, newest first",
    tags: ['API keys'],
    query: pageQuery,
    responses: { 200: { description: 'A page of keys.', schema: apiKeyListSchema } },
    handle: async ({ principal, query }) => ({ status: 200, body: await listApiKeys(deps(), principal, query) }),
  }),
  getApiKey: defineApiRoute({
    ...heads.getApiKey,
    summary: 'Get one API key (never the key itself)',
    tags: ['API keys'],
    params: idParams,
    responses: {
      200: { description: 'The key.', schema: apiKeySchema },
      404: { description: 'No such key in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params }) => ({ status: 200, body: await getApiKey(deps(), principal, params.id) }),
  }),
  revokeApiKey: defineApiRoute({
    ...heads.revokeApiKey,
    summary: 'Revoke an API key and every key it created, transitively (immediate, permanent; idempotent)',
    tags: ['API keys'],
    params: idParams,
    responses: {
      200: {
        description:
          'The revoked key. Keys it created, and keys those created, are revoked with it; repeating the request finishes a revocation that was interrupted.',
        schema: apiKeySchema,
      },
      404: { description: 'No such key in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params, correlationId }) => ({
      status: 200,
      body: await revokeApiKey(deps(), principal, params.id, correlationId),
    }),
  }),
};
