import { z } from 'zod';
import { services } from '../app/services';
import { apiServerUrl, openApiDocument } from '../http/openapi';
import { defineApiRoute } from './api-route';
import { egressOf, egressSchema } from './egress';
import { checkHealthz, healthzSchema } from './healthz';
import { type ReferencePage, referencePage } from './reference-page';
import { metaRouteHeads as heads } from './route-heads';

/**
 * The page for one server URL, rendered once per process: the routes and so the document cannot
 * change while it runs, and rendering every operation and schema is the slow part of the request.
 */
let reference: { serverUrl: string; page: Promise<ReferencePage> } | undefined;

function renderedReference(serverUrl: string): Promise<ReferencePage> {
  if (reference?.serverUrl !== serverUrl) {
    const page = openApiDocument(serverUrl).then((document) => referencePage(document, '/api/v1/openapi.json'));
    // A failed render is not kept: the next request tries again.
    page.catch(() => {
      if (reference?.page === page) reference = undefined;
    });
    reference = { serverUrl, page };
  }
  return reference.page;
}

/** API routes by operationId; functions/meta-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  getHealth: defineApiRoute({
    ...heads.getHealth,
    summary: 'Liveness and storage reachability (no authentication)',
    tags: ['Meta'],
    responses: {
      200: { description: 'Healthy.', schema: healthzSchema },
      503: { description: 'A dependency is unreachable.', schema: healthzSchema },
    },
    handle: async () => {
      const health = await checkHealthz(services().account);
      return { status: health.status === 'ok' ? 200 : 503, body: health, headers: { 'Cache-Control': 'no-store' } };
    },
  }),
  getOpenApi: defineApiRoute({
    ...heads.getOpenApi,
    summary: 'This API as an OpenAPI 3.1 document',
    tags: ['Meta'],
    responses: { 200: { description: 'The OpenAPI document.', schema: z.record(z.string(), z.unknown()) } },
    // Loads every route's definition (registration loads none).
    handle: async () => ({
      status: 200,
      body: await openApiDocument(apiServerUrl(services().settings.PUBLIC_BASE_URL)),
    }),
  }),
  getApiReference: defineApiRoute({
    ...heads.getApiReference,
    summary: 'Rendered API reference',
    tags: ['Meta'],
    hidden: true,
    responses: { 200: { description: 'HTML page.' } },
    // Rendered from the same document as /api/v1/openapi.json, so it loads every route definition too.
    handle: async () => {
      const page = await renderedReference(apiServerUrl(services().settings.PUBLIC_BASE_URL));
      return {
        status: 200,
        text: page.html,
        headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': page.contentSecurityPolicy },
      };
    },
  }),
  getEgress: defineApiRoute({
    ...heads.getEgress,
    summary: 'The addresses to put on vendor IP allow-lists, or that egress is not static',
    tags: ['Meta'],
    responses: { 200: { description: 'The static egress addresses, or why there are none.', schema: egressSchema } },
    handle: async () => ({ status: 200, body: egressOf(services().settings.HUB_EGRESS_IPS) }),
  }),
};
