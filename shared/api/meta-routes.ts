import { z } from 'zod';
import { services } from '../app/services';
import { apiServerUrl, openApiDocument } from '../http/openapi';
import { defineApiRoute } from './api-route';
import { checkHealthz, healthzSchema } from './healthz';
import { referencePage } from './reference-page';

/** API routes by operationId; functions/meta-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  getHealth: defineApiRoute({
    method: 'GET',
    route: 'healthz',
    operationId: 'getHealth',
    summary: 'Liveness and storage reachability (no authentication)',
    tags: ['Meta'],
    scope: null,
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
    method: 'GET',
    route: 'v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This API as an OpenAPI 3.1 document',
    tags: ['Meta'],
    scope: null,
    responses: { 200: { description: 'The OpenAPI document.', schema: z.record(z.string(), z.unknown()) } },
    // Loads every route's definition (registration loads none).
    handle: async () => ({
      status: 200,
      body: await openApiDocument(apiServerUrl(services().settings.PUBLIC_BASE_URL)),
    }),
  }),
  getApiReference: defineApiRoute({
    method: 'GET',
    route: 'v1/docs',
    operationId: 'getApiReference',
    summary: 'Rendered API reference',
    tags: ['Meta'],
    scope: null,
    hidden: true,
    responses: { 200: { description: 'HTML page.' } },
    handle: async () => {
      const page = referencePage('/api/v1/openapi.json');
      return {
        status: 200,
        text: page.html,
        headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': page.contentSecurityPolicy },
      };
    },
  }),
};
