import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { authenticate, presentedKey } from '../apikeys/authenticate';
import { parseKeyId } from '../apikeys/key-material';
import type { Principal } from '../apikeys/principal';
import { type ApiScope, grants } from '../apikeys/scopes';
import { services } from '../app/services';
import { nowMs } from '../clock';
import { createLogger, type Logger } from '../observability/logger';
import { clientAddress } from './client-address';
import { CORRELATION_HEADER, correlationIdFrom } from './correlation';
import { ForbiddenError, PayloadTooLargeError, UnauthorizedError } from './errors';
import { type ResponseSpec, registerOpenApiPath } from './openapi';
import { problemResponse } from './problem';
import { RateLimitExceededError, type RateLimitState, rateLimitHeaders } from './rate-limit';
import { checkPathParams, clientQuery, noQuery, readJsonBody, readQuery, validate } from './request-parsing';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text bodies (the API reference page) skip JSON encoding. */
  text?: string;
}

export interface ApiInput<B, Q, P, Auth extends boolean> {
  principal: Auth extends true ? Principal : undefined;
  body: B;
  query: Q;
  params: P;
  correlationId: string;
  log: Logger;
  request: HttpRequest;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface ApiRouteDefinition<
  B extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
  P extends z.ZodType | undefined,
  S extends ApiScope | null,
> {
  method: HttpMethod;
  /** Path under /api, in the Functions/OpenAPI `{param}` syntax, e.g. `v1/api-keys/{id}`. */
  route: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** The scope a key needs; null for unauthenticated routes (health, OpenAPI). */
  scope: S;
  body?: B;
  /**
   * The body may be left out (actions whose body only carries optional extras, such as an
   * approval's comment): an absent or empty body parses as `{}` through `body`, so its defaults
   * apply and no Content-Type is needed. Any bytes that are sent are checked as for a required
   * body: size, media type, JSON, schema. Default false: an empty body is 400 `body_required`.
   */
  bodyOptional?: boolean;
  query?: Q;
  params?: P;
  responses: Record<number, ResponseSpec>;
  /** Leave the route out of the OpenAPI document (the reference page itself). */
  hidden?: boolean;
  handle(input: ApiInput<Out<B>, Out<Q>, Out<P>, S extends ApiScope ? true : false>): Promise<ApiResult>;
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: 'Stable, machine-readable error code.' }),
    correlationId: z.string(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

const commonProblems: Record<number, ResponseSpec> = {
  400: { description: 'Malformed JSON, unknown fields or invalid values.', schema: problemSchema },
  401: { description: 'Missing, invalid, revoked or expired API key.', schema: problemSchema },
  403: { description: 'The key lacks the required scope.', schema: problemSchema },
  413: { description: 'The body is larger than allowed.', schema: problemSchema },
  415: { description: 'The body is not application/json.', schema: problemSchema },
  429: {
    description: 'Rate limit exceeded, or too many failed authentications from this client; see Retry-After.',
    schema: problemSchema,
  },
};

function registerOpenApi(
  def: ApiRouteDefinition<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined, ApiScope | null>,
): void {
  if (def.hidden) return;
  const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
  const all = def.scope ? { ...commonProblems, ...def.responses } : def.responses;
  for (const [status, spec] of Object.entries(all)) {
    const contentType = Number(status) >= 400 ? 'application/problem+json' : 'application/json';
    responses[status] = spec.schema
      ? { description: spec.description, content: { [contentType]: { schema: spec.schema } } }
      : { description: spec.description };
  }
  const params = def.params instanceof z.ZodObject ? def.params : undefined;
  const query = def.query instanceof z.ZodObject ? def.query : undefined;
  registerOpenApiPath({
    method: def.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete',
    path: `/${def.route}`,
    operationId: def.operationId,
    summary: def.summary,
    ...(def.description ? { description: def.description } : {}),
    tags: def.tags,
    ...(def.scope ? { security: [{ apiKey: [def.scope] }] } : {}),
    request: {
      ...(params ? { params } : {}),
      ...(query ? { query } : {}),
      ...(def.body
        ? { body: { content: { 'application/json': { schema: def.body } }, required: !def.bodyOptional } }
        : {}),
    },
    responses,
  });
}

/**
 * Authentication behind the failed-auth throttle: a client address or key id that keeps failing is
 * refused before any lookup (no storage read), and every 401 is counted against both.
 */
async function authenticateAndCount(request: HttpRequest): Promise<{ principal: Principal; rate: RateLimitState }> {
  const svc = services();
  const presented = presentedKey(request.headers);
  const subjects = { address: clientAddress(request.headers), keyId: presented ? parseKeyId(presented) : undefined };
  svc.failedAuth.check(subjects);
  let principal: Principal;
  try {
    principal = await authenticate(presented, svc.apiKeys, svc.bootstrap, {
      operatorKey: () => svc.operatorKey.current(),
      tenantIsActive: (tenantId) => svc.tenants.isActive(tenantId),
    });
  } catch (error) {
    if (error instanceof UnauthorizedError) svc.failedAuth.recordFailure(subjects);
    throw error;
  }
  const rate = await svc.rateLimiter.take(
    principal.keyId === 'bootstrap' ? `bootstrap:${principal.tenantId}` : principal.keyId,
  );
  return { principal, rate };
}

import { SECURITY_HEADERS } from './security-headers';

export { SECURITY_HEADERS };

/** The route's body; see `bodyOptional` for what an optional body accepts. */
async function readBody(request: HttpRequest, schema: z.ZodType, limit: number, optional: boolean): Promise<unknown> {
  if (!optional) return readJsonBody(request, schema, limit);
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  const raw = await request.arrayBuffer();
  if (raw.byteLength === 0) return validate(schema, {}, 'body');
  return readJsonBody({ headers: request.headers, arrayBuffer: async () => raw }, schema, limit);
}

/**
 * Builds the options for `app.http(...)` from one route definition: authentication, scope,
 * per-key rate limit, body/query/params validation, correlation id, problem+json errors and a
 * request log line — and registers the route in the OpenAPI document.
 */
export function apiRoute<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
  S extends ApiScope | null = ApiScope,
>(def: ApiRouteDefinition<B, Q, P, S>) {
  registerOpenApi(
    def as unknown as ApiRouteDefinition<
      z.ZodType | undefined,
      z.ZodType | undefined,
      z.ZodType | undefined,
      ApiScope | null
    >,
  );
  const handler: HttpHandler = async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const started = nowMs();
    const correlationId = correlationIdFrom(request.headers.get(CORRELATION_HEADER));
    const log = createLogger({ correlationId, operation: def.operationId, invocationId: context.invocationId });
    let response: HttpResponseInit;
    let rateHeaders: Record<string, string> = {};
    let keyId: string | undefined;
    try {
      let principal: Principal | undefined;
      if (def.scope) {
        // Rate limiting precedes the scope check so a key probing scopes is counted too.
        const auth = await authenticateAndCount(request);
        principal = auth.principal;
        keyId = principal.keyId;
        rateHeaders = rateLimitHeaders(auth.rate);
        if (!grants(principal.scopes, def.scope)) throw new ForbiddenError(def.scope);
      }
      const limit = services().settings.API_MAX_BODY_BYTES;
      checkPathParams(request.params);
      const params = def.params ? validate(def.params, request.params, 'params') : undefined;
      // A route without a query schema takes no parameters: an unknown one is refused, not ignored.
      const query = readQuery(clientQuery(request), def.query ?? noQuery);
      const body = def.body ? await readBody(request, def.body, limit, def.bodyOptional === true) : undefined;
      const result = await def.handle({
        principal,
        body,
        query: def.query ? query : undefined,
        params,
        correlationId,
        log,
        request,
      } as unknown as ApiInput<Out<B>, Out<Q>, Out<P>, S extends ApiScope ? true : false>);
      response = {
        status: result.status,
        headers: {
          ...(result.text !== undefined
            ? {}
            : result.body !== undefined
              ? { 'Content-Type': 'application/json; charset=utf-8' }
              : {}),
          ...result.headers,
        },
        ...(result.text !== undefined
          ? { body: result.text }
          : result.body !== undefined
            ? { body: JSON.stringify(result.body) }
            : {}),
      };
    } catch (error) {
      response = problemResponse(error, correlationId, log);
      if (error instanceof RateLimitExceededError) rateHeaders = rateLimitHeaders(error.state);
    }
    response.headers = {
      ...rateHeaders,
      ...(response.headers as Record<string, string>),
      ...SECURITY_HEADERS,
      [CORRELATION_HEADER]: correlationId,
    };
    log.info('request', {
      method: request.method,
      route: def.route,
      status: response.status,
      durationMs: nowMs() - started,
      ...(keyId ? { keyId } : {}),
    });
    return response;
  };
  return { route: def.route, methods: [def.method], authLevel: 'anonymous' as const, handler };
}
