import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseRequestLogFilter, requestLogView } from './request-log';
import { checkAgainstSpec, describeViolations, type SpecBinding, type SpecViolation } from './spec-check';

/**
 * A loopback HTTP server that plays one vendor in tests and in the local demo: vendor fakes add
 * routes that speak the vendor's shapes (docs/vendors.md), every request is recorded so tests can check
 * method, path, headers and body, and faults can be switched on from code or over HTTP
 * (`/__fake/...`) to make the vendor fail the way real vendors do.
 */

export interface FakeRequest {
  method: string;
  /** Path without the query string, e.g. `/api/v2/system/request_rate`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Named segments of a string route pattern (`/Tickets/:id/Notes`). */
  params: Record<string, string>;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as JSON (Content-Type application/json unless headers say otherwise). */
  json?: unknown;
  /** Sent as is when json is absent. */
  body?: string;
}

export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { kind: 'timeout' }
  /** Send the headers and half the body, then wait before the rest. */
  | { kind: 'slow-body'; delayMs: number }
  /** Destroy the connection without an answer. */
  | { kind: 'reset' };

export interface FaultOptions {
  /** Only requests whose path equals this string or starts with it, or matches the RegExp. */
  path?: string | RegExp;
  /** How many matching requests fail (default: until cleared). */
  times?: number;
}

export type ErrorBodyHook = (status: number, message: string) => unknown;

/**
 * A fake held to its vendor's published description (test/fakes/core/spec-check.ts): requests
 * under the slice's prefix that break it are refused the way the vendor refuses them.
 */
export interface SpecHold extends SpecBinding {
  refuse(violations: SpecViolation[], request: FakeRequest): FakeReply;
}

/** A request a spec-held fake refused, and why (tests read `server.refusals`). */
export interface SpecRefusal {
  method: string;
  path: string;
  violations: SpecViolation[];
}

type Handler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

interface ActiveFault {
  fault: Fault;
  path: string | RegExp | undefined;
  remaining: number;
}

const CONTROL_PREFIX = '/__fake';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export class FakeVendorServer {
  readonly requests: FakeRequest[] = [];
  /** Requests refused because they break the vendor's published description. */
  readonly refusals: SpecRefusal[] = [];
  /** When set, every request under its prefix is checked before any route runs. */
  spec: SpecHold | undefined;
  /** How this vendor words an error body; vendor fakes set it so a 401 looks like theirs. */
  errorBody: ErrorBodyHook = (status, message) => ({ status, message });
  private readonly routes: Route[] = [];
  private faults: ActiveFault[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private base = '';

  constructor(
    readonly name: string,
    options: { errorBody?: ErrorBodyHook; spec?: SpecHold } = {},
  ) {
    if (options.errorBody) this.errorBody = options.errorBody;
    this.spec = options.spec;
  }

  /** The base URL once started (`http://127.0.0.1:<port>`), '' before. */
  get baseUrl(): string {
    return this.base;
  }

  route(method: string, pathPattern: string | RegExp, handler: Handler): this {
    const { pattern, names } = compile(pathPattern);
    this.routes.push({ method: method.toUpperCase(), pattern, names, handler });
    return this;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) return this.base;
    const server = createServer((req, res) => {
      void this.handle(req, res);
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.base = `http://${host}:${address.port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  count(method: string, pathPattern: string | RegExp): number {
    const { pattern } = compile(pathPattern);
    const upper = method.toUpperCase();
    return this.requests.filter((r) => r.method === upper && pattern.test(r.path)).length;
  }

  /** Requests matching a method and path pattern, oldest first. */
  received(method: string, pathPattern: string | RegExp): FakeRequest[] {
    const { pattern } = compile(pathPattern);
    const upper = method.toUpperCase();
    return this.requests.filter((r) => r.method === upper && pattern.test(r.path));
  }

  injectFault(fault: Fault, opts: FaultOptions = {}): void {
    this.faults.push({ fault, path: opts.path, remaining: opts.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Forget requests and faults (routes stay). */
  reset(): void {
    this.requests.length = 0;
    this.refusals.length = 0;
    this.clearFaults();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const request = await readRequest(req);
      if (request.path.startsWith(CONTROL_PREFIX)) {
        this.send(res, this.control(request), 0);
        return;
      }
      this.requests.push(request);
      const fault = this.takeFault(request.path);
      if (fault?.kind === 'timeout') return; // the socket stays open until the client gives up or stop()
      if (fault?.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      const reply = fault?.kind === 'status' ? this.faultReply(fault) : await this.dispatch(request);
      this.send(res, reply, fault?.kind === 'slow-body' ? fault.delayMs : 0);
    } catch (error) {
      this.send(res, { status: 500, json: this.errorBody(500, `fake ${this.name} failed: ${String(error)}`) }, 0);
    }
  }

  private async dispatch(request: FakeRequest): Promise<FakeReply> {
    const held = this.holdToSpec(request);
    if (held) return held;
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(request.path);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== request.method) continue;
      route.names.forEach((name, i) => {
        request.params[name] = decodeURIComponent(match[i + 1] ?? '');
      });
      return route.handler(request);
    }
    return pathMatched
      ? {
          status: 405,
          json: this.errorBody(405, `The requested resource does not support http method '${request.method}'.`),
        }
      : { status: 404, json: this.errorBody(404, `No route for ${request.method} ${request.path}`) };
  }

  /** The vendor's refusal when the request breaks the published description, else undefined. */
  private holdToSpec(request: FakeRequest): FakeReply | undefined {
    if (!this.spec) return undefined;
    const verdict = checkAgainstSpec(this.spec, request);
    switch (verdict.kind) {
      case 'outside':
        return undefined;
      case 'unknown-path':
        this.refusals.push({
          method: request.method,
          path: request.path,
          violations: [{ at: 'path', message: 'not in the published description' }],
        });
        return { status: 404, json: this.errorBody(404, `No route for ${request.method} ${request.path}`) };
      case 'wrong-method':
        this.refusals.push({
          method: request.method,
          path: request.path,
          violations: [{ at: 'method', message: `allowed: ${verdict.allowed.join(', ')}` }],
        });
        return {
          status: 405,
          headers: { Allow: verdict.allowed.join(', ') },
          json: this.errorBody(405, `The requested resource does not support http method '${request.method}'.`),
        };
      case 'checked':
        if (verdict.violations.length === 0) return undefined;
        this.refusals.push({ method: request.method, path: request.path, violations: verdict.violations });
        return this.spec.refuse(verdict.violations, request);
    }
  }

  /** The refusals so far as one line each (for test failure messages). */
  describeRefusals(): string {
    return this.refusals.map((r) => `${r.method} ${r.path}: ${describeViolations(r.violations)}`).join('\n');
  }

  private takeFault(path: string): Fault | undefined {
    const active = this.faults.find((f) => f.remaining > 0 && pathMatches(f.path, path));
    if (!active) return undefined;
    active.remaining -= 1;
    return active.fault;
  }

  private faultReply(fault: Extract<Fault, { kind: 'status' }>): FakeReply {
    const headers = { ...(fault.headers ?? {}) };
    if (fault.status === 429 && !Object.keys(headers).some((h) => h.toLowerCase() === 'retry-after')) {
      headers['Retry-After'] = '30';
    }
    const message = STATUS_TEXT[fault.status] ?? `HTTP ${fault.status}`;
    return { status: fault.status, headers, json: fault.body ?? this.errorBody(fault.status, message) };
  }

  private send(res: ServerResponse, reply: FakeReply, slowMs: number): void {
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    let payload = reply.body ?? '';
    if (reply.json !== undefined) {
      payload = JSON.stringify(reply.json);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json; charset=utf-8';
      }
    }
    const bytes = Buffer.from(payload, 'utf8');
    headers['Content-Length'] = String(bytes.length);
    res.writeHead(reply.status ?? 200, headers);
    if (slowMs <= 0) {
      res.end(bytes);
      return;
    }
    const half = Math.floor(bytes.length / 2);
    res.write(bytes.subarray(0, half));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!res.destroyed) res.end(bytes.subarray(half));
    }, slowMs);
    this.timers.add(timer);
  }

  /**
   * `/__fake/faults` (POST adds, DELETE clears) and `/__fake/requests` (GET lists, filtered by
   * `path`, `method`, `last`, credentials masked; DELETE resets).
   */
  private control(request: FakeRequest): FakeReply {
    const route = `${request.method} ${request.path.replace(/\/+$/, '')}`;
    switch (route) {
      case `GET ${CONTROL_PREFIX}/requests`: {
        // Filtered (`?path=/ATServicesRest/V1.0/Tickets&method=POST&last=1`) and masked.
        const filter = parseRequestLogFilter(request.query);
        if (typeof filter === 'string') return { status: 400, json: { error: filter } };
        return { json: { requests: requestLogView(this.requests, filter) } };
      }
      case `DELETE ${CONTROL_PREFIX}/requests`:
        this.reset();
        return { status: 204 };
      case `DELETE ${CONTROL_PREFIX}/faults`:
        this.clearFaults();
        return { status: 204 };
      case `POST ${CONTROL_PREFIX}/faults`: {
        const parsed = parseControlFault(request.json);
        if (typeof parsed === 'string') return { status: 400, json: { error: parsed } };
        this.injectFault(parsed.fault, parsed.options);
        return { status: 201, json: { fault: parsed.fault, faults: this.faults.length } };
      }
      default:
        return { status: 404, json: { error: `unknown control route ${route}` } };
    }
  }
}

function pathMatches(filter: string | RegExp | undefined, path: string): boolean {
  if (filter === undefined) return true;
  if (typeof filter === 'string') return path === filter || path.startsWith(filter);
  return filter.test(path);
}

/** `/Tickets/:id/Notes` → a RegExp with one group per `:name`; a RegExp is used as given. */
function compile(pathPattern: string | RegExp): { pattern: RegExp; names: string[] } {
  if (pathPattern instanceof RegExp) return { pattern: pathPattern, names: [] };
  const names: string[] = [];
  const source = pathPattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`, 'i'), names };
}

async function readRequest(req: IncomingMessage): Promise<FakeRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  let json: unknown;
  if (body.trim() !== '') {
    try {
      json = JSON.parse(body) as unknown;
    } catch {
      json = undefined;
    }
  }
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams.entries()),
    headers,
    body,
    json,
    params: {},
  };
}

/** Validates the control API's fault body: `{kind, status?, body?, headers?, delayMs?, path?, times?}`. */
function parseControlFault(input: unknown): { fault: Fault; options: FaultOptions } | string {
  if (typeof input !== 'object' || input === null) return 'body must be a JSON object';
  const o = input as Record<string, unknown>;
  const options: FaultOptions = {};
  if (o.path !== undefined) {
    if (typeof o.path !== 'string') return 'path must be a string';
    options.path = o.path;
  }
  if (o.times !== undefined) {
    if (typeof o.times !== 'number' || !Number.isInteger(o.times) || o.times < 1)
      return 'times must be a positive integer';
    options.times = o.times;
  }
  switch (o.kind) {
    case 'status': {
      if (typeof o.status !== 'number' || o.status < 100 || o.status > 599) return 'status must be an HTTP status';
      const headers =
        typeof o.headers === 'object' && o.headers !== null
          ? Object.fromEntries(Object.entries(o.headers).map(([k, v]) => [k, String(v)]))
          : undefined;
      return {
        fault: {
          kind: 'status',
          status: o.status,
          ...(o.body !== undefined ? { body: o.body } : {}),
          ...(headers ? { headers } : {}),
        },
        options,
      };
    }
    case 'slow-body':
      if (typeof o.delayMs !== 'number' || o.delayMs < 0) return 'delayMs must be a non-negative number';
      return { fault: { kind: 'slow-body', delayMs: o.delayMs }, options };
    case 'timeout':
    case 'reset':
      return { fault: { kind: o.kind }, options };
    default:
      return 'kind must be one of status, timeout, slow-body, reset';
  }
}
