import { app } from '@azure/functions';
import { z } from 'zod';
import { services } from '../shared/app/services';
import { checkHealth, healthSchema } from '../shared/health/healthz';
import { apiRoute } from '../shared/http/api-route';
import { apiServerUrl, openApiDocument } from '../shared/http/openapi';
import { referencePage } from '../shared/http/reference-page';

app.http(
  'healthz-get',
  apiRoute({
    method: 'GET',
    route: 'healthz',
    operationId: 'getHealth',
    summary: 'Liveness and storage reachability (no authentication)',
    tags: ['Meta'],
    scope: null,
    responses: {
      200: { description: 'Healthy.', schema: healthSchema },
      503: { description: 'A dependency is unreachable.', schema: healthSchema },
    },
    handle: async () => {
      const health = await checkHealth(services().account);
      return { status: health.status === 'ok' ? 200 : 503, body: health, headers: { 'Cache-Control': 'no-store' } };
    },
  }),
);

app.http(
  'openapi-get',
  apiRoute({
    method: 'GET',
    route: 'v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This API as an OpenAPI 3.1 document',
    tags: ['Meta'],
    scope: null,
    responses: { 200: { description: 'The OpenAPI document.', schema: z.record(z.string(), z.unknown()) } },
    handle: async () => ({
      status: 200,
      body: openApiDocument(apiServerUrl(services().settings.PUBLIC_BASE_URL)),
    }),
  }),
);

app.http(
  'api-reference-get',
  apiRoute({
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
);
