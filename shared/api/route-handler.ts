import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { authenticate, presentedKey } from '../apikeys/authenticate';
import { ForbiddenError } from '../apikeys/errors';
import { parseKeyId } from '../apikeys/key-material';
import type { Principal } from '../apikeys/principal';
import { grants } from '../apikeys/scopes';
import { services } from '../app/services';
import { nowMs } from '../clock';
import { clientAddress } from '../http/client-address';
import { CORRELATION_HEADER, correlationIdFrom } from '../http/correlation';
import { PayloadTooLargeError, RouteNotFoundError, ValidationError } from '../http/errors';
import { apiRelative, literalRouteNear } from '../http/nearest-routes';
import { problemResponse } from '../http/problem';
import { RateLimitExceededError, type RateLimitState, rateLimitHeaders } from '../http/rate-limit';
import { checkPathParams, clientQuery, noQuery, readJsonBody, readQuery, validate } from '../http/request-parsing';
import { SECURITY_HEADERS } from '../http/security-headers';
import { idempotentCall } from '../idempotency/idempotent-call';
import { createLogger } from '../observability/logger';
import type { AnyApiRoute, ApiInput } from './api-route';

/**
 * What a route does when it is called: authentication, scope, per-key rate limit, body/query/params
 * validation, correlation id, problem+json errors and a request log line. Kept apart from
 * shared/api/api-route (what a route is) because it reaches the composition root and API-key
 * authentication, which a cold start should not evaluate: api-route imports this module on a
 * route's first invocation (docs/decisions.md §38).
 */

/**
 * Authentication behind the failed-auth throttle (shared/api/failed-auth-throttle.ts): a client
 * address that keeps failing is refused before any lookup; a key id only ever counts wrong secrets,
 * and the right secret always passes.
 */
async function authenticateAndCount(request: HttpRequest): Promise<{ principal: Principal; rate: RateLimitState }> {
  const svc = services();
  const presented = presentedKey(request.headers);
  const subjects = { address: clientAddress(request.headers), keyId: presented ? parseKeyId(presented) : undefined };
  const principal = await svc.failedAuth.authenticate(subjects, () =>
    authenticate(presented, svc.apiKeys, svc.bootstrap, {
      operatorKey: () => svc.operatorKey.current(),
      tenantIsActive: (tenantId) => svc.tenants.isActive(tenantId),
    }),
  );
  const rate = await svc.rateLimiter.take(
    principal.keyId === 'bootstrap' ? `bootstrap:${principal.tenantId}` : principal.keyId,
  );
  return { principal, rate };
}

/** The route's body; see `bodyOptional` for what an optional body accepts. */
async function readBody(request: HttpRequest, schema: z.ZodType, limit: number, optional: boolean): Promise<unknown> {
  if (!optional) return readJsonBody(request, schema, limit);
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  const raw = await request.arrayBuffer();
  if (raw.byteLength === 0) return validate(schema, {}, 'body');
  return readJsonBody({ headers: request.headers, arrayBuffer: async () => raw }, schema, limit);
}

/** The `app.http` handler for one route definition. */
/**
 * The path parameters, or — when they do not parse and a literal route is a typo away
 * (`/integrations/statuss`) — 404 `route_not_found` naming that route instead of a 400 about an id
 * nobody meant to send.
 */
function validParams(schema: z.ZodType, request: HttpRequest): unknown {
  try {
    return validate(schema, request.params, 'params');
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const path = new URL(request.url).pathname;
    const near = literalRouteNear(request.method, apiRelative(path));
    if (near.length > 0) throw new RouteNotFoundError(request.method.toUpperCase(), path.slice(0, 200), near);
    throw error;
  }
}

export function routeHandler(def: AnyApiRoute): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
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
      const params = def.params ? validParams(def.params, request) : undefined;
      // A route without a query schema takes no parameters: an unknown one is refused, not ignored.
      const query = readQuery(clientQuery(request), def.query ?? noQuery);
      const body = def.body ? await readBody(request, def.body, limit, def.bodyOptional === true) : undefined;
      const input: ApiInput<unknown, unknown, unknown, boolean> = {
        principal: principal as Principal,
        body,
        query: def.query ? query : undefined,
        params,
        correlationId,
        log,
        request,
        context,
      };
      const typed = input as Parameters<AnyApiRoute['handle']>[0];
      const result = def.idempotent && principal ? await idempotentCall(def, typed) : await def.handle(typed);
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
}
