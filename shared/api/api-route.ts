import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { Principal } from '../apikeys/principal';
import type { ApiScope } from '../apikeys/scopes';
import { type ResponseSpec, registerOpenApiPath } from '../http/openapi';
import { recordHttpRoute } from '../http/route-table';
import type { Logger } from '../observability/logger';
import { loadOnFirstCall } from '../sdk/load-on-first-use';
import type { RouteConfig } from '../sdk/zod-to-openapi';

/**
 * What an API route is: its definition (method, route, scope, schemas, OpenAPI text, handler) and
 * how functions/ registers one. What a route does when called lives in shared/api/route-handler,
 * loaded on the first request, so registering every route at start evaluates none of the
 * authentication, storage or capability code behind them (docs/decisions.md §38).
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text bodies (the API reference page) skip JSON encoding. */
  text?: string;
}

/** What an Idempotency-Key fixes for the create it guards (shared/idempotency/claims.ts). */
export interface IdempotentCreate {
  /** A newest-first id minted when the key was claimed; the same on every retry. */
  resourceId: string;
  /** 18 random bytes, base64url, minted with it: for ids that must also be unguessable. */
  seed: string;
}

export interface ApiInput<B, Q, P, Auth extends boolean> {
  principal: Auth extends true ? Principal : undefined;
  body: B;
  query: Q;
  params: P;
  correlationId: string;
  log: Logger;
  request: HttpRequest;
  /** The invocation, for input bindings a registration declared (the durable client). */
  context: InvocationContext;
  /**
   * On an idempotent route called with an Idempotency-Key: the id the create gives its resource,
   * fixed when the key was claimed, so a retry after a crash conflicts instead of duplicating.
   */
  idempotency?: IdempotentCreate | undefined;
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
  /** From the head: the route honours an Idempotency-Key (docs/api.md, "Idempotent requests"). */
  idempotent?: boolean;
  /**
   * An idempotent create whose first run died holding its key: the resource it made with the ids
   * `created` fixes, answered as the create would, or undefined when it made none (the create then
   * runs again with the same ids, so it cannot make a second one).
   */
  recoverCreate?(
    input: ApiInput<Out<B>, Out<Q>, Out<P>, S extends ApiScope ? true : false>,
    created: IdempotentCreate,
  ): Promise<ApiResult | undefined>;
  /** The first answer's body as kept for replays; a create that shows a secret once leaves it out. */
  replayBody?(body: unknown): unknown;
  handle(input: ApiInput<Out<B>, Out<Q>, Out<P>, S extends ApiScope ? true : false>): Promise<ApiResult>;
}

/** Any route definition, whatever its schemas and scope. */
export type AnyApiRoute = ApiRouteDefinition<
  z.ZodType | undefined,
  z.ZodType | undefined,
  z.ZodType | undefined,
  ApiScope | null
>;

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

const idempotencyKeyParameter = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/)
    .optional()
    .meta({
      description:
        'Makes a retry safe: the same key with the same request answers the first result again (marked Idempotent-Replayed: true) and creates nothing; 1-255 visible ASCII characters, remembered for IDEMPOTENCY_KEY_RETENTION_HOURS (docs/api.md, "Idempotent requests").',
    }),
});

const idempotencyProblems: Record<number, ResponseSpec> = {
  409: {
    description: 'idempotency_key_in_flight: the first request with this Idempotency-Key is still running.',
    schema: problemSchema,
  },
  422: {
    description: 'idempotency_key_reused: this Idempotency-Key was first sent with a different request.',
    schema: problemSchema,
  },
};

/** The OpenAPI path of one route, or undefined for a hidden one (the reference page). */
function openApiPathOf(def: AnyApiRoute): RouteConfig | undefined {
  if (def.hidden) return undefined;
  const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
  const all = def.scope ? { ...commonProblems, ...def.responses } : { ...def.responses };
  if (def.idempotent) {
    for (const [status, spec] of Object.entries(idempotencyProblems)) {
      const own = all[Number(status)];
      all[Number(status)] = own ? { ...own, description: `${own.description} ${spec.description}` } : spec;
    }
  }
  for (const [status, spec] of Object.entries(all)) {
    const contentType = Number(status) >= 400 ? 'application/problem+json' : 'application/json';
    responses[status] = spec.schema
      ? { description: spec.description, content: { [contentType]: { schema: spec.schema } } }
      : { description: spec.description };
  }
  const params = def.params instanceof z.ZodObject ? def.params : undefined;
  const headers = def.idempotent ? idempotencyKeyParameter : undefined;
  const query = def.query instanceof z.ZodObject ? def.query : undefined;
  return {
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
      ...(headers ? { headers } : {}),
      ...(def.body
        ? { body: { content: { 'application/json': { schema: def.body } }, required: !def.bodyOptional } }
        : {}),
    },
    responses,
  };
}

/** What `app.http` needs for a route: the host routes by these, the handler does the rest. */
export interface ApiRouteRegistration {
  route: string;
  methods: HttpMethod[];
  authLevel: 'anonymous';
  handler: HttpHandler;
}

/** A handler that builds the real one (shared/api/route-handler) on the route's first call. */
function handlerOnFirstCall(definition: () => Promise<AnyApiRoute>): HttpHandler {
  return loadOnFirstCall(async () => {
    const [{ routeHandler }, def] = await Promise.all([import('./route-handler'), definition()]);
    return routeHandler(def);
  });
}

/** Types a route definition (its handler's inputs follow from its schemas and scope); registers nothing. */
export function defineApiRoute<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
  S extends ApiScope | null = ApiScope,
>(def: ApiRouteDefinition<B, Q, P, S>): ApiRouteDefinition<B, Q, P, S> {
  return def;
}

/** What the host needs to register a route, restated in the functions/ file where a reader looks for it. */
export interface ApiRouteHead<K extends string = string> {
  method: HttpMethod;
  /** Path under /api, as in the definition. */
  route: string;
  /** The scope a key needs (null: unauthenticated), as in the definition. */
  scope: ApiScope | null;
  /** The definition's operationId, and the name the routes module exports it under. */
  operationId: K;
  /** The route honours an Idempotency-Key (a publish or a create; shared/idempotency). */
  idempotent?: boolean;
}

/**
 * A route head as a capability's route-heads.ts writes it once: the function name the host
 * registers it under (names sort literal routes before parameter routes, decisions §44) and the
 * head itself. functions/ registers from it, routes.ts spreads it into the definition.
 */
export interface RegisteredRouteHead<K extends string = string> extends ApiRouteHead<K> {
  name: string;
}

/** The names under which a routes module exports route definitions. */
export type RouteNames<M> = {
  [K in keyof M]: M[K] extends AnyApiRoute ? K : never;
}[keyof M] &
  string;

export class RouteHeadMismatchError extends Error {
  override readonly name = 'RouteHeadMismatchError';
}

/** The definition `head` names, refused when the registration and the definition disagree. */
export function checkedDefinition(head: ApiRouteHead, found: unknown): AnyApiRoute {
  const def = found as Partial<AnyApiRoute> | undefined;
  if (!def || typeof def.handle !== 'function') {
    throw new RouteHeadMismatchError(`No route definition exported as ${head.operationId}.`);
  }
  for (const field of ['method', 'route', 'scope', 'operationId'] as const) {
    if (def[field] !== head[field]) {
      throw new RouteHeadMismatchError(
        `Route ${head.operationId}: registered with ${field} ${String(head[field])}, defined with ${String(def[field])}.`,
      );
    }
  }
  return def as AnyApiRoute;
}

/**
 * Registers a route without loading it: `app.http` gets the route, method and auth level from
 * `head`, and the definition — schemas, handler and the capability code behind them — is imported
 * from `load` on the first request (or when the OpenAPI document is generated). The definition
 * must agree with `head` on method, route, scope and operationId, or its first call fails;
 * test/integration/lazy-registration.test.ts checks every route. docs/decisions.md §38.
 */
export function lazyApiRoute<M, K extends RouteNames<M>>(
  load: () => Promise<M>,
  head: ApiRouteHead<K>,
): ApiRouteRegistration {
  let loading: Promise<AnyApiRoute> | undefined;
  const definition = (): Promise<AnyApiRoute> => {
    loading ??= load()
      .then((module) => checkedDefinition(head, module[head.operationId]))
      .catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
    return loading;
  };
  registerOpenApiPath(async () => openApiPathOf(await definition()));
  recordHttpRoute(head.route, [head.method]);
  return { route: head.route, methods: [head.method], authLevel: 'anonymous', handler: handlerOnFirstCall(definition) };
}
