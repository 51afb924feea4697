import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { secretsEqual } from '../shared/crypto/constant-time';
import { DomainError } from '../shared/errors/domain-error';
import { CORRELATION_HEADER, correlationIdFrom } from '../shared/http/correlation';
import { errorMapping } from '../shared/http/error-table';
import { MethodNotAllowedError, PayloadTooLargeError, RouteNotFoundError } from '../shared/http/errors';
import { problemFrom, problemHeaders } from '../shared/http/problem';
import { SECURITY_HEADERS } from '../shared/http/security-headers';
import { PortInUseError } from './azurite';
import { HttpRouter } from './http-routing';
import { createInvocationContext, InvocationTracker } from './invocation';
import { describeError, type RequestScope, requestScope } from './process-safety';
import type { RegisteredFunction } from './registry';
import { parseRequestTarget } from './request-target';

/**
 * Serves the app's HTTP functions on one port the way the Functions host does: routes under /api,
 * the trigger's methods and authLevel, the library's own HttpRequest/HttpResponse classes, a fresh
 * InvocationContext per call. Host-only endpoints (durable webhooks, admin hooks) are plugged in
 * by path prefix and, like the real host's, need the functions key when one is configured.
 *
 * Nothing a client sends may end the process: the request target and Host header are checked
 * before anything parses them, every request runs in a scope whose failures answer that request
 * (see ./process-safety.ts), parser errors become problem documents, and slow clients are cut off
 * by header and request timeouts.
 */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<boolean>;
type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface HostEndpoint {
  /** Path prefix the endpoint owns, e.g. '/admin/'; matched case-insensitively so no casing dodges the key. */
  prefix: string;
  handle: ExtraHandler;
  /**
   * Also reachable under `/_host/{capabilityToken}{prefix}` without the functions key: for
   * in-process callers that can send neither a header nor a query string (durable-functions'
   * client drops both when it resolves paths against rpcBaseUrl). Like the system key in Azure's
   * statusQueryGetUri, the token grants this endpoint only.
   */
  acceptsCapabilityToken?: boolean;
}

export interface HttpServerOptions {
  port: number;
  host?: string;
  functions: RegisteredFunction[];
  /** Values for extra input bindings by binding type (e.g. durableClient). */
  extraInputValue?: (bindingType: string) => unknown;
  hostEndpoints?: HostEndpoint[];
  /** When set, authLevel function/admin routes and every host endpoint require it as x-functions-key or ?code=. */
  functionsKey?: string;
  /** The secret path segment of HostEndpoint.acceptsCapabilityToken; unset means no such path exists. */
  capabilityToken?: string;
  /** The Functions host refuses bodies over 100 MB; so do we. */
  maxBodyBytes?: number;
  /** How long a client may take to send its headers / its whole request (defaults 15 s / 120 s). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * The app called `app.setup({ enableHttpStream: true })`: the host forwards every request body
   * whole. Without it the host forwards a body only when Content-Length is positive, so a chunked
   * request reaches the function empty (docs/decisions.md §44).
   */
  httpStream?: boolean;
  /** Azure's front end answers 502 when a function has not responded within 230 s; scaled for tests. */
  responseLimitMs?: number;
  /** Holds invocations to host.json's functionTimeout; one per host, shared with other triggers. */
  invocations?: InvocationTracker;
  log: Log;
}

export interface RunningHttpServer {
  server: Server;
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

export const CAPABILITY_PATH = '/_host/';
const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
/** Azure Load Balancer's idle timeout in front of every function app. */
export const FRONT_END_RESPONSE_LIMIT_MS = 230_000;

/** What the function is given as the body, as the host would forward it. */
function forwardedBody(req: IncomingMessage, body: Buffer, httpStream: boolean): Buffer {
  if (httpStream) return body;
  const declared = Number(req.headers['content-length']);
  return Number.isInteger(declared) && declared > 0 ? body : Buffer.alloc(0);
}

/** The host's answer when no route matches: an empty 404, no problem document. */
function hostNotFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Length': '0' });
  res.end();
}

function sendProblem(res: ServerResponse, error: DomainError, correlationId: string): void {
  const { status } = errorMapping(error.code);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...problemHeaders(error),
    [CORRELATION_HEADER]: correlationId,
    // A refused body may still be arriving; closing is cheaper than draining up to 100 MB.
    ...(status === 413 ? { Connection: 'close' } : {}),
  });
  res.end(JSON.stringify(problemFrom(error, correlationId)));
}

/** The client went away (reset, truncated body); there is nobody left to answer. */
class ClientGoneError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onGone = () => {
      cleanup();
      reject(new ClientGoneError('the client closed the connection before sending the whole body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

function headerText(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // Like the App Service front end: append the address this edge saw, so the last entry is the one
  // the hub can trust (shared/http/client-address.ts) and a client cannot pick its throttle bucket.
  const remote = req.socket.remoteAddress;
  if (remote) {
    const seen = isIPv6(remote)
      ? `[${remote}]:${req.socket.remotePort ?? 0}`
      : `${remote}:${req.socket.remotePort ?? 0}`;
    out['x-forwarded-for'] = out['x-forwarded-for'] ? `${out['x-forwarded-for']}, ${seen}` : seen;
  }
  return out;
}

async function writeResult(res: ServerResponse, result: unknown): Promise<void> {
  const response = result instanceof HttpResponse ? result : new HttpResponse((result ?? {}) as HttpResponseInit);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(body);
}

function requireFunctionsKey(req: IncomingMessage, url: URL, functionsKey: string): void {
  const presented = headerText(req, 'x-functions-key') ?? url.searchParams.get('code') ?? '';
  if (!secretsEqual(presented, functionsKey)) {
    throw new DomainError('function_key_invalid', 'This endpoint needs a valid x-functions-key.');
  }
}

/** A problem document written straight to a socket the HTTP parser gave up on. */
function rawProblem(error: DomainError): string {
  const correlationId = correlationIdFrom(undefined);
  const { status, title } = errorMapping(error.code);
  const body = JSON.stringify(problemFrom(error, correlationId));
  // The security headers too: a parser error is an API response like any other (no caching, no sniffing).
  const headers = Object.entries({ ...SECURITY_HEADERS, ...problemHeaders(error) }).map(
    ([name, value]) => `${name}: ${value}`,
  );
  return [
    `HTTP/1.1 ${status} ${title}`,
    ...headers,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `${CORRELATION_HEADER}: ${correlationId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

function parserProblem(error: NodeJS.ErrnoException): DomainError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new DomainError('request_timeout', 'The request was not received in time.');
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return new DomainError('header_fields_too_large', 'The request headers are too large.');
  }
  // The parser's own code (HPE_INVALID_METHOD, …) is a constant, not client input: safe to echo.
  return new DomainError('malformed_request', 'The request could not be parsed as HTTP/1.1.', {
    reason: error.code ?? 'unknown',
  });
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const router = new HttpRouter(options.functions.filter((f) => f.trigger.type === 'httpTrigger'));
  const maxBody = options.maxBodyBytes ?? 100 * 1024 * 1024;
  const endpoints = (options.hostEndpoints ?? []).map((e) => ({ ...e, prefix: e.prefix.toLowerCase() }));
  const invocations = options.invocations ?? new InvocationTracker({ functionTimeoutMs: undefined, log: options.log });
  const responseLimitMs = options.responseLimitMs ?? FRONT_END_RESPONSE_LIMIT_MS;

  /** Answers a failed request once; later failures of the same request only close its socket. */
  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown, scope: RequestScope) => {
    if (res.writableEnded) return;
    if (res.headersSent || req.socket.destroyed || error instanceof ClientGoneError) {
      res.destroy();
      return;
    }
    let problem: DomainError;
    if (error instanceof DomainError) problem = error;
    else {
      options.log('error', 'request failed', {
        correlationId: scope.correlationId,
        method: scope.method,
        path: scope.path,
        ...describeError(error),
      });
      problem = new DomainError('internal_error', 'The request failed; see the host log.');
    }
    try {
      sendProblem(res, problem, scope.correlationId);
    } catch {
      res.destroy();
    }
  };

  const serveHostEndpoint = async (req: IncomingMessage, res: ServerResponse, url: URL, viaCapability: boolean) => {
    const path = url.pathname.toLowerCase();
    const endpoint = endpoints.find((e) => path.startsWith(e.prefix));
    if (!endpoint) return false;
    const authorised = viaCapability && endpoint.acceptsCapabilityToken === true;
    if (viaCapability && !authorised) throw new RouteNotFoundError(req.method ?? 'GET', url.pathname);
    if (!authorised && options.functionsKey) requireFunctionsKey(req, url, options.functionsKey);
    const body = await readBody(req, maxBody);
    if (!(await endpoint.handle(req, res, body))) throw new RouteNotFoundError(req.method ?? 'GET', url.pathname);
    return true;
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, scope: RequestScope) => {
    let url = parseRequestTarget(req.url, req.headers.host, req.httpVersion);
    scope.path = url.pathname.slice(0, 200);
    let viaCapability = false;
    if (url.pathname.startsWith(CAPABILITY_PATH)) {
      const rest = url.pathname.slice(CAPABILITY_PATH.length);
      const slash = rest.indexOf('/');
      const token = slash < 0 ? rest : rest.slice(0, slash);
      if (!options.capabilityToken || !secretsEqual(token, options.capabilityToken)) {
        throw new DomainError('function_key_invalid', 'This endpoint needs a valid x-functions-key.');
      }
      // Endpoints see (and log) the path without the token.
      req.url = (req.url ?? '/').slice(CAPABILITY_PATH.length + token.length);
      url = parseRequestTarget(req.url, req.headers.host, req.httpVersion);
      scope.path = url.pathname.slice(0, 200);
      viaCapability = true;
    }
    if (await serveHostEndpoint(req, res, url, viaCapability)) return;
    if (viaCapability) throw new RouteNotFoundError(scope.method, url.pathname);

    // Routing and the functions key come before the body: a refusal costs no upload.
    const method = scope.method;
    const match = router.match(method, url.pathname);
    if (match.kind === 'none') {
      // Drained, not read into memory: nobody will look at it.
      req.resume();
      hostNotFound(res);
      return;
    }
    const { route, params } = match;
    if (route.authLevel !== 'anonymous' && options.functionsKey) {
      requireFunctionsKey(req, url, options.functionsKey);
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBody) throw new PayloadTooLargeError(maxBody);
    const body = forwardedBody(req, await readBody(req, maxBody), options.httpStream === true);
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers: headerRecord(req),
      query: Object.fromEntries(url.searchParams.entries()),
      params,
      ...(body.length > 0 && method !== 'GET' && method !== 'HEAD' ? { body: { bytes: body } } : {}),
    });
    const context = createInvocationContext(route.fn, options.log, {
      logFields: { correlationId: scope.correlationId },
      ...(options.extraInputValue ? { extraInputValue: options.extraInputValue } : {}),
    });
    // The front end gives up on the response, not on the invocation: that runs on (docs/decisions.md §44).
    const cut = setTimeout(() => {
      if (res.headersSent || res.writableEnded) return;
      options.log('warn', 'no response within the front end limit: answered 502, the invocation runs on', {
        correlationId: scope.correlationId,
        function: route.fn.name,
        responseLimitMs,
      });
      res.writeHead(502, { 'Content-Length': '0', Connection: 'close' });
      res.end();
    }, responseLimitMs);
    let result: unknown;
    try {
      result = await invocations.run(route.fn, context, () => route.fn.callback(request, context));
    } finally {
      clearTimeout(cut);
    }
    if (res.writableEnded) {
      options.log('warn', 'a response after the front end limit was discarded', {
        correlationId: scope.correlationId,
        function: route.fn.name,
      });
      return;
    }
    await writeResult(res, result);
  };

  const server = createServer(
    {
      // Checked by parseRequestTarget, which answers with a problem document instead of a bare 400.
      requireHostHeader: false,
      headersTimeout: options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      // How often those two timeouts are enforced (Node's default of 30 s would let them overrun).
      connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS),
    },
    (req, res) => {
      const scope: RequestScope = {
        correlationId: correlationIdFrom(headerText(req, CORRELATION_HEADER)),
        method: (req.method ?? 'GET').toUpperCase(),
        path: '(not parsed)',
        fail: (error) => fail(req, res, error, scope),
      };
      requestScope.run(scope, () => {
        serve(req, res, scope).catch((error: unknown) => scope.fail(error));
      });
    },
  );
  server.keepAliveTimeout = 5000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way on this socket cannot be followed by another one.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawProblem(parserProblem(error)));
    // A client that never reads must not keep the socket (and its buffer) alive.
    setTimeout(() => socket.destroy(), 5000).unref();
  });
  // Without a listener Node drops CONNECT silently; say why instead. The host is not a proxy.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.end(rawProblem(new MethodNotAllowedError('CONNECT', ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])));
    setTimeout(() => socket.destroy(), 5000).unref();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new PortInUseError(options.port, 'local host HTTP', 'LOCAL_HTTP_PORT') : error,
      ),
    );
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    baseUrl: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
