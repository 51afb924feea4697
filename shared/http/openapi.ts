import type { z } from 'zod';
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '../sdk/zod-to-openapi';

/**
 * Every API route adds its path here when it is registered (shared/api/api-route), so the
 * document at /api/v1/openapi.json is generated from the same zod schemas that validate requests —
 * no second description of the API to drift. At registration a route leaves only a way to get its
 * path config: routes are registered without loading their definitions (docs/decisions.md §38), so
 * generating the document loads every definition, in registration order. The zod-to-openapi
 * registry is built then too, so a cold start loads neither that package nor any definition
 * (docs/decisions.md §33). `undefined` is a route left out of the document.
 */
export type OpenApiPathSource = () => Promise<RouteConfig | undefined>;

const routes: OpenApiPathSource[] = [];

export function registerOpenApiPath(route: OpenApiPathSource): void {
  routes.push(route);
}

function buildRegistry(paths: RouteConfig[]): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key, as `Authorization: Bearer <key>` (or the `x-api-key` header).',
  });
  for (const path of paths) registry.registerPath(path);
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

export async function openApiDocument(serverUrl: string): Promise<unknown> {
  const paths = (await Promise.all(routes.map((route) => route()))).filter((path) => path !== undefined);
  const generator = new OpenApiGeneratorV31(buildRegistry(paths).definitions);
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
