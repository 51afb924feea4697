import { defineApiRoute } from '../api/api-route';
import { catalogListSchema, catalogLookupSchema, catalogParams } from './api-schemas';
import { catalogEntries, resolveCatalogEntry } from './catalog';
import { errorCatalogRouteHeads as heads } from './route-heads';

/** API routes by operationId; functions/error-catalog-get.ts registers each (docs/decisions.md §38). */
export const routes = {
  listErrorCatalog: defineApiRoute({
    ...heads.listErrorCatalog,
    summary: 'Every error code with its meaning and remediation per integration type',
    tags: ['Dashboard'],
    responses: { 200: { description: 'The whole catalog (one page).', schema: catalogListSchema } },
    handle: async () => ({ status: 200, body: { items: catalogEntries(), nextCursor: null } }),
  }),
  getErrorCatalogEntry: defineApiRoute({
    ...heads.getErrorCatalogEntry,
    summary: 'One error code; a code not listed answers with its class (4xx, 5xx)',
    tags: ['Dashboard'],
    params: catalogParams,
    responses: { 200: { description: 'The entry, or its class with `fallback: true`.', schema: catalogLookupSchema } },
    handle: async ({ params }) => {
      const { entry, fallback } = resolveCatalogEntry(params.code);
      return { status: 200, body: { ...entry, requested: params.code, fallback } };
    },
  }),
};
