import { defineApiRoute, problemSchema } from '../api/api-route';
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

const deps = apiKeyDeps;

/** API routes by operationId; functions/api-keys-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  createApiKey: defineApiRoute({
    method: 'POST',
    route: 'v1/api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key (the key is returned once)',
    tags: ['API keys'],
    scope: 'apikeys:write',
    body: createApiKeyBody,
    responses: { 201: { description: 'Created; `key` is shown only here.', schema: createdApiKeySchema } },
    handle: async ({ principal, body, correlationId }) => ({
      status: 201,
      body: await createApiKey(deps(), principal, body, correlationId),
    }),
  }),
  listApiKeys: defineApiRoute({
    method: 'GET',
    route: 'v1/api-keys',
    operationId: 'listApiKeys',
    summary: "List this tenant's API keys that this key may manage, newest first",
    tags: ['API keys'],
    scope: 'apikeys:write',
    query: pageQuery,
    responses: { 200: { description: 'A page of keys.', schema: apiKeyListSchema } },
    handle: async ({ principal, query }) => ({ status: 200, body: await listApiKeys(deps(), principal, query) }),
  }),
  getApiKey: defineApiRoute({
    method: 'GET',
    route: 'v1/api-keys/{id}',
    operationId: 'getApiKey',
    summary: 'Get one API key (never the key itself)',
    tags: ['API keys'],
    scope: 'apikeys:write',
    params: idParams,
    responses: {
      200: { description: 'The key.', schema: apiKeySchema },
      404: { description: 'No such key in this tenant.', schema: problemSchema },
    },
    handle: async ({ principal, params }) => ({ status: 200, body: await getApiKey(deps(), principal, params.id) }),
  }),
  revokeApiKey: defineApiRoute({
    method: 'DELETE',
    route: 'v1/api-keys/{id}',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key and every key it created, transitively (immediate, permanent; idempotent)',
    tags: ['API keys'],
    scope: 'apikeys:write',
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
