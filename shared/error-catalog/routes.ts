import { defineApiRoute } from '../api/api-route';
import { catalogListSchema, catalogLookupSchema, catalogParams } from './api-schemas';
import { catalogEntries, resolveCatalogEntry } from './catalog';

/** API routes by operationId; functions/error-catalog-get.ts registers each (docs/decisions.md §38). */
export const routes = {
  listErrorCatalog: defineApiRoute({
    method: 'GET',
    route: 'v1/error-catalog',
    operationId: 'listErrorCatalog',
    summary: 'Every error code with its meaning and remediation per integration type',
    tags: ['Dashboard'],
    scope: 'events:read',
    responses: { 200: { description: 'The whole catalog (one page).', schema: catalogListSchema } },
    handle: async () => ({ status: 200, body: { items: catalogEntries(), nextCursor: null } }),
  }),
  getErrorCatalogEntry: defineApiRoute({
    method: 'GET',
    route: 'v1/error-catalog/{code}',
    operationId: 'getErrorCatalogEntry',
    summary: 'One error code; a code not listed answers with its class (4xx, 5xx)',
    tags: ['Dashboard'],
    scope: 'events:read',
    params: catalogParams,
    responses: { 200: { description: 'The entry, or its class with `fallback: true`.', schema: catalogLookupSchema } },
    handle: async ({ params }) => {
      const { entry, fallback } = resolveCatalogEntry(params.code);
      return { status: 200, body: { ...entry, requested: params.code, fallback } };
    },
  }),
};
