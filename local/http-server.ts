import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { secretsEqual } from '../shared/crypto/constant-time';
import { DomainError } from '../shared/errors/domain-error';
import { CORRELATION_HEADER, correlationIdFrom } from '../shared/http/correlation';
import { errorMapping } from '../shared/http/error-table';
import { MethodNotAllowedError, PayloadTooLargeError, RouteNotFoundError } from '../shared/http/errors';
import { problemFrom, problemHeaders } from '../shared/http/problem';
import { PortInUseError } from './azurite';
import { HttpRouter } from './http-routing';
import { createInvocationContext } from './invocation';
import type { RegisteredFunction } from './registry';

/**
 * Serves the app's HTTP functions on one port the way the Functions host does: routes under /api,
 * the trigger's methods and authLevel, the library's own HttpRequest/HttpResponse classes, a fresh
 * InvocationContext per call. Extra endpoints (durable RPC, admin hooks) are plugged in as
 * `extraHandlers`, each returning false when a path is not its own.
 */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<boolean>;
type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface HttpServerOptions {
  port: number;
  host?: string;
  functions: RegisteredFunction[];
  /** Values for extra input bindings by binding type (e.g. durableClient). */
  extraInputValue?: (bindingType: string) => unknown;
  extraHandlers?: ExtraHandler[];
  /** When set, authLevel function/admin require it as x-functions-key or ?code=. */
  functionsKey?: string;
  /** The Functions host refuses bodies over 100 MB; so do we. */
  maxBodyBytes?: number;
  log: Log;
}

export interface RunningHttpServer {
  server: Server;
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

function sendProblem(res: ServerResponse, error: DomainError, correlationId: string): void {
  res.writeHead(errorMapping(error.code).status, {
    ...problemHeaders(error),
    [CORRELATION_HEADER]: correlationId,
  });
  res.end(JSON.stringify(problemFrom(error, correlationId)));
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
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

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const router = new HttpRouter(options.functions.filter((f) => f.trigger.type === 'httpTrigger'));
  const maxBody = options.maxBodyBytes ?? 100 * 1024 * 1024;

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const correlationId = correlationIdFrom(req.headers[CORRELATION_HEADER] as string | undefined);
      try {
        const body = await readBody(req, maxBody);
        for (const extra of options.extraHandlers ?? []) {
          if (await extra(req, res, body)) return;
        }
        const method = (req.method ?? 'GET').toUpperCase();
        const match = router.match(method, url.pathname);
        if (match.kind === 'none') throw new RouteNotFoundError(method, url.pathname);
        if (match.kind === 'method_not_allowed') throw new MethodNotAllowedError(method, match.allowed);
        const { route, params } = match;
        if (route.authLevel !== 'anonymous' && options.functionsKey) {
          const presented =
            (req.headers['x-functions-key'] as string | undefined) ?? url.searchParams.get('code') ?? '';
          if (!secretsEqual(presented, options.functionsKey)) {
            throw new DomainError('function_key_invalid', 'This function needs a valid x-functions-key.');
          }
        }
        const request = new HttpRequest({
          method,
          url: url.toString(),
          headers: headerRecord(req),
          query: Object.fromEntries(url.searchParams.entries()),
          params,
          ...(body.length > 0 && method !== 'GET' && method !== 'HEAD' ? { body: { bytes: body } } : {}),
        });
        const context = createInvocationContext(route.fn, options.log, {
          logFields: { correlationId },
          ...(options.extraInputValue ? { extraInputValue: options.extraInputValue } : {}),
        });
        const result = await route.fn.callback(request, context);
        await writeResult(res, result);
      } catch (error) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (error instanceof DomainError) sendProblem(res, error, correlationId);
        else {
          options.log('error', 'function invocation failed', { path: url.pathname, error: (error as Error).message });
          sendProblem(res, new DomainError('internal_error', 'The function failed; see the host log.'), correlationId);
        }
      }
    })();
  });
  server.keepAliveTimeout = 5000;
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
