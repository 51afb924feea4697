import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { CORRELATION_HEADER, correlationIdFrom } from '../http/correlation';
import { MethodNotAllowedError, RouteNotFoundError } from '../http/errors';
import { apiRelative, nearestRoutes } from '../http/nearest-routes';
import { problemResponse } from '../http/problem';
import { recordedHttpRoutes } from '../http/route-table';
import { compileTemplate } from '../http/route-template';
import { SECURITY_HEADERS } from '../http/security-headers';
import { createLogger } from '../observability/logger';

/** What the catch-all serves: every path under /api, every method but CONNECT. */
export const FALLBACK_ROUTE = '{*path}';
export const FALLBACK_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const log = createLogger({ operation: 'routeNotFound' });

/**
 * The documented answer for a request no function serves. The host tries functions in name order
 * and this one's name sorts last (functions/zz-route-not-found-api.ts), so it only ever sees what
 * every other route refused: a 405 with Allow when some route has this path under another method,
 * else a 404 — both problem+json, where the host alone would answer an empty 404.
 */
export async function routeNotFound(request: HttpRequest): Promise<HttpResponseInit> {
  const correlationId = correlationIdFrom(request.headers.get(CORRELATION_HEADER));
  const path = new URL(request.url).pathname;
  const method = request.method.toUpperCase();
  const allowed = new Set<string>();
  for (const { route, methods } of recordedHttpRoutes()) {
    if (route === FALLBACK_ROUTE) continue;
    if (compileTemplate(route).regex.test(path)) for (const m of methods) allowed.add(m);
  }
  const error =
    allowed.size > 0
      ? new MethodNotAllowedError(method, [...allowed])
      : new RouteNotFoundError(method, path.slice(0, 200), nearestRoutes(method, apiRelative(path)));
  const response = problemResponse(error, correlationId, log);
  return {
    ...response,
    headers: {
      ...(response.headers as Record<string, string>),
      ...SECURITY_HEADERS,
      [CORRELATION_HEADER]: correlationId,
    },
  };
}
