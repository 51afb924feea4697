import type { z } from 'zod';
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '../sdk/zod-to-openapi';

/**
 * Every API route adds its path here when its module loads (shared/http/api-route), so the
 * document at /api/v1/openapi.json is generated from the same zod schemas that validate requests —
 * no second description of the API to drift. Only the route configs are kept at load; the
 * zod-to-openapi registry is built when a document is first asked for, so a cold start neither
 * loads that package nor pays for registering every path (docs/decisions.md §33).
 */
const routes: RouteConfig[] = [];

export function registerOpenApiPath(route: RouteConfig): void {
  routes.push(route);
}

function buildRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key, as `Authorization: Bearer <key>` (or the `x-api-key` header).',
  });
  for (const route of routes) registry.registerPath(route);
  return registry;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

/**
 * The API's server URL for the document: the configured public base URL (PUBLIC_BASE_URL) plus
 * `/api`, or the relative `/api` (resolved by clients against the document's own URL) when none is
 * configured. Never the request's Host header: a client-chosen Host would otherwise be reflected
 * into a document that caches, proxies and code generators trust.
 */
export function apiServerUrl(publicBaseUrl: string | undefined): string {
  return publicBaseUrl ? `${publicBaseUrl.replace(/\/+$/, '')}/api` : '/api';
}

export function openApiDocument(serverUrl: string): unknown {
  const generator = new OpenApiGeneratorV31(buildRegistry().definitions);
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'MSP Integration Hub API',
      version: '1.0.0',
      description:
        'Admin API of the MSP Integration Hub. Errors are RFC 9457 problem+json with a stable `code`; lists are paged with `limit` and an opaque `cursor`; every response carries `x-correlation-id`.',
    },
    servers: [{ url: serverUrl }],
  });
}
