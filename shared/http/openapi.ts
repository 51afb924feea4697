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
  registry.registerComponent('securitySchemes', API_KEY_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: securitySchemeDescription(scopesRequired(paths)),
  });
  for (const path of paths) registry.registerPath(path);
  return registry;
}

/** The name operations use in their `security` requirement (`[{ apiKey: [scope] }]`). */
export const API_KEY_SCHEME = 'apiKey';

/** Every scope some operation requires, sorted: read from the routes, so the list cannot drift. */
function scopesRequired(paths: RouteConfig[]): string[] {
  const scopes = new Set<string>();
  for (const path of paths) {
    for (const requirement of path.security ?? [])
      for (const scope of requirement[API_KEY_SCHEME] ?? []) scopes.add(scope);
  }
  return [...scopes].sort();
}

/**
 * How to authenticate, in the document itself, so a client generator or a reader of the raw JSON
 * learns it without docs/api.md. OpenAPI 3.1 lets a non-OAuth requirement list role names; each
 * operation lists the one scope it needs.
 */
function securitySchemeDescription(scopes: string[]): string {
  return [
    'Send an API key as `Authorization: Bearer <key>` (the header `x-api-key: <key>` is accepted too).',
    'A key belongs to one tenant; its admin creates more with `POST /v1/api-keys`, and a key is shown only in the response that creates it.',
    'Each operation names the one scope it requires in its security requirement; `admin` holds every tenant scope.',
    'The platform operator key carries `operator` alone: it reaches the operator routes (`/v1/tenants`, `/v1/operator/…`) and no tenant data.',
    `Scopes operations require: ${scopes.map((scope) => `\`${scope}\``).join(', ')}.`,
    'Without a key the answer is 401 problem+json (`api_key_missing`); without the scope, 403 (`insufficient_scope`).',
  ].join(' ');
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
