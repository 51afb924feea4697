import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Agent, type BuildConnector, buildConnector, request } from '../sdk/undici';
import {
  addressVerdict,
  certificatePinFor,
  checkResolved,
  checkUrlSyntax,
  type DnsLookup,
  type NetworkPolicy,
  normalizeHost,
  OutboundUrlBlockedError,
  portVerdict,
  systemDnsLookup,
} from './guard';

/**
 * The hub's only way to call a URL someone else chose (vendor base URLs, subscriptions). Every hop
 * is checked by the guard; the connection itself is made by an undici Agent whose DNS lookup refuses
 * blocked addresses and whose connector re-checks the socket's peer, so what is checked is what is
 * connected to (docs/decisions.md "Outbound network guard").
 */
export interface GuardedRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Covers connecting, the response headers and the whole body, across redirects. */
  timeoutMs: number;
  /** default 1 MiB; excess is truncated and flagged */
  maxResponseBytes?: number;
  /** default 3; every hop re-checked. Past the limit the redirect response itself is returned. */
  maxRedirects?: number;
  policy: NetworkPolicy;
  /** DNS resolver; tests inject one, production uses the system resolver. */
  dnsLookup?: DnsLookup;
}

export interface GuardedResponse {
  status: number;
  /** lower-case names; repeated headers joined with ", " */
  headers: Record<string, string>;
  body: Buffer;
  truncated: boolean;
  /** final URL after redirects */
  url: string;
}

/** The call did not produce a response: `timeout`, or `network` (refused, reset, DNS failure, TLS). */
export class OutboundRequestError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network',
    readonly host: string,
    /** The system or undici error code (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET …) when there is one. */
    readonly errorCode?: string,
  ) {
    super(
      kind === 'timeout'
        ? `The call to ${host} timed out.`
        : `The call to ${host} failed${errorCode ? ` (${errorCode})` : ''}.`,
    );
    this.name = 'OutboundRequestError';
  }
}

const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_MAX_REDIRECTS = 3;
const MAX_AGENTS = 64;
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** Headers that may follow a redirect to another origin; anything else may be a credential. */
const CROSS_ORIGIN_SAFE_HEADERS = new Set(['accept', 'accept-language', 'content-type', 'user-agent']);

/** A net.connect lookup that resolves through `dnsLookup` and refuses when any answer is blocked. */
function guardedLookup(policy: NetworkPolicy, dnsLookup: DnsLookup): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    const host = normalizeHost(hostname);
    dnsLookup(host).then(
      (answers) => {
        try {
          checkResolved(
            host,
            answers.map((a) => a.address),
            policy,
          );
        } catch (error) {
          callback(error as NodeJS.ErrnoException, '', 0);
          return;
        }
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable: LookupAddress[] = answers.filter((a) => !family || a.family === family);
        const first = usable[0];
        if (!first) {
          const error: NodeJS.ErrnoException = new Error(`no address of the requested family for ${host}`);
          error.code = 'ENOTFOUND';
          callback(error, '', 0);
        } else if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** OpenSSL's and node's codes for a certificate that failed verification (not for a broken handshake). */
const CERTIFICATE_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * undici's connector with the guard around it: IP literals before connecting, the peer after.
 * A host the policy pins (docs/decisions.md "UniFi console certificate pinning") is connected to by
 * a second connector that skips CA and host-name verification, and the socket is handed to undici
 * only once the leaf certificate's SHA-256 equals the pin: undici writes nothing (no request line,
 * no API key header) before it has the socket, so a mismatch ends the connection with zero bytes
 * of the request sent. Every other host keeps node's full verification.
 */
function guardedConnector(policy: NetworkPolicy, dnsLookup: DnsLookup): BuildConnector.connector {
  const lookup = guardedLookup(policy, dnsLookup);
  const connect = buildConnector({ lookup });
  const pinnedConnect = policy.certificatePins?.some((pin) => pin.sha256 !== undefined)
    ? buildConnector({
        lookup,
        rejectUnauthorized: false,
        // The exact fingerprint names one certificate; the name in it adds nothing (consoles
        // answer on bare IPs that no certificate lists).
        checkServerIdentity: () => undefined,
        // A resumed session skips the certificate: every connection shows it and is checked.
        maxCachedSessions: 0,
      })
    : undefined;
  return (options, callback) => {
    const host = normalizeHost(options.hostname);
    // net.connect skips the lookup for IP literals, so they are judged here.
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    const literalReason = isIP(host)
      ? (addressVerdict(host, host, policy) ?? portVerdict(host, port, policy))
      : undefined;
    if (literalReason) {
      callback(new OutboundUrlBlockedError(host, literalReason), null);
      return;
    }
    const pin = certificatePinFor(policy, host);
    const pinned = pin?.sha256 !== undefined ? pin.sha256 : undefined;
    if (pinned !== undefined && options.protocol !== 'https:') {
      // A pinned host is only spoken to over TLS: plain http would carry the key with no check at all.
      callback(new OutboundUrlBlockedError(host, 'certificate_mismatch'), null);
      return;
    }
    const connectWith = pinned !== undefined && pinnedConnect ? pinnedConnect : connect;
    connectWith(options, (...args) => {
      const [error, socket] = args;
      if (error || !socket) {
        const code = errorCode(error);
        if (pin && code && CERTIFICATE_ERROR_CODES.has(code)) {
          callback(new OutboundUrlBlockedError(host, 'certificate_untrusted'), null);
          return;
        }
        callback(error ?? new Error('no socket'), null);
        return;
      }
      // What was connected to, address and port: a name that resolved to this machine reaches a
      // reserved port only here, before undici has written a byte.
      const { remoteAddress: peer, remotePort } = socket as Socket;
      const reason = peer
        ? (addressVerdict(host, peer, policy) ?? (remotePort ? portVerdict(peer, remotePort, policy) : undefined))
        : 'unresolvable';
      if (reason) {
        socket.destroy();
        callback(new OutboundUrlBlockedError(host, reason), null);
        return;
      }
      if (pinned !== undefined && (socket as TLSSocket).getPeerCertificate().fingerprint256 !== pinned) {
        socket.destroy();
        callback(new OutboundUrlBlockedError(host, 'certificate_mismatch'), null);
        return;
      }
      callback(null, socket);
    });
  };
}

/** Reserved-port sets are live (filled after policies exist), so they are told apart by identity. */
const reservedSetIds = new WeakMap<ReadonlySet<number>, number>();
let nextReservedSetId = 1;
function reservedSetId(set: ReadonlySet<number> | undefined): number {
  if (!set) return 0;
  const known = reservedSetIds.get(set);
  if (known !== undefined) return known;
  const id = nextReservedSetId++;
  reservedSetIds.set(set, id);
  return id;
}

/** One Agent per policy shape (and resolver), so connections to an origin are pooled and reused. */
const agents = new Map<DnsLookup, Map<string, Agent>>();

/** The agent last chosen for a policy object and resolver: skips the shape key on every request. */
const agentByPolicy = new WeakMap<NetworkPolicy, { dnsLookup: DnsLookup; agent: Agent }>();
/** Agents evicted from the pool or closed: never handed out again. */
const retired = new WeakSet<Agent>();

function agentFor(policy: NetworkPolicy, dnsLookup: DnsLookup): Agent {
  // Policies are built once from settings and never mutated, so the object identifies its shape.
  const known = agentByPolicy.get(policy);
  if (known && known.dnsLookup === dnsLookup && !retired.has(known.agent)) return known.agent;
  const agent = pooledAgent(policy, dnsLookup);
  agentByPolicy.set(policy, { dnsLookup, agent });
  return agent;
}

function pooledAgent(policy: NetworkPolicy, dnsLookup: DnsLookup): Agent {
  const shape = JSON.stringify([
    policy.allowHttp,
    policy.allowLoopback,
    policy.allowPrivate,
    [...new Set(policy.allowedPrivateHosts.map(normalizeHost))].sort(),
    (policy.certificatePins ?? []).map((pin) => [normalizeHost(pin.host), pin.sha256 ?? null]).sort(),
    reservedSetId(policy.reservedLocalPorts),
  ]);
  let byShape = agents.get(dnsLookup);
  if (!byShape) {
    byShape = new Map();
    agents.set(dnsLookup, byShape);
  }
  let agent = byShape.get(shape);
  if (!agent) {
    if (byShape.size >= MAX_AGENTS) {
      const [oldestShape, oldest] = byShape.entries().next().value as [string, Agent];
      byShape.delete(oldestShape);
      retired.add(oldest);
      void oldest.close();
    }
    agent = new Agent({ connect: guardedConnector(policy, dnsLookup) });
    byShape.set(shape, agent);
  }
  return agent;
}

/** Close pooled connections (tests, shutdown). */
export async function closeGuardedAgents(): Promise<void> {
  const all = [...agents.values()].flatMap((byShape) => [...byShape.values()]);
  agents.clear();
  for (const agent of all) retired.add(agent);
  await Promise.all(all.map((agent) => agent.close()));
}

function blockedIn(error: unknown): OutboundUrlBlockedError | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundUrlBlockedError) return e;
  }
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function lowerCaseHeaders(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function readLimited(
  body: AsyncIterable<Buffer> & { destroy(): void },
  limit: number,
): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - size));
      body.destroy(); // stop downloading: the rest is not wanted
      return { body: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { body: Buffer.concat(chunks), truncated: false };
}

/**
 * Call `url` under `request.policy`. Throws OutboundUrlBlockedError when the URL, a redirect or the
 * address actually connected to is refused, and OutboundRequestError on timeout or network failure.
 * Any HTTP status is a response, not an error.
 */
export async function guardedFetch(url: string, request_: GuardedRequest): Promise<GuardedResponse> {
  const { policy, timeoutMs } = request_;
  const maxBytes = request_.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const maxRedirects = request_.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const dispatcher = agentFor(policy, request_.dnsLookup ?? systemDnsLookup);

  let target = checkUrlSyntax(url, policy);
  let method = request_.method.toUpperCase();
  let headers = lowerCaseHeaders(request_.headers);
  let body = request_.body;

  const deadline = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    deadline.abort();
  }, timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      const response = await request(target.url, {
        dispatcher,
        method: method as 'GET',
        headers,
        body: body ?? null,
        signal: deadline.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const responseHeaders = flattenHeaders(response.headers);
      const location = responseHeaders.location;
      const next =
        REDIRECTS.has(response.statusCode) && location && hop < maxRedirects
          ? parseLocation(location, target.url)
          : undefined;
      if (next) {
        await response.body.dump();
        const nextTarget = checkUrlSyntax(next, policy);
        if (nextTarget.url.origin !== target.url.origin) {
          // A vendor credential must not follow a redirect to somebody else.
          headers = Object.fromEntries(Object.entries(headers).filter(([name]) => CROSS_ORIGIN_SAFE_HEADERS.has(name)));
        }
        if (
          response.statusCode === 303 ||
          ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')
        ) {
          method = method === 'HEAD' ? 'HEAD' : 'GET';
          body = undefined;
          delete headers['content-type'];
        }
        target = nextTarget;
        continue;
      }
      const read = await readLimited(response.body, maxBytes);
      return {
        status: response.statusCode,
        headers: responseHeaders,
        body: read.body,
        truncated: read.truncated,
        url: target.url.toString(),
      };
    }
  } catch (error) {
    const blocked = blockedIn(error);
    if (blocked) throw blocked;
    const code = errorCode(error);
    if (timedOut || (code && TIMEOUT_CODES.has(code))) throw new OutboundRequestError('timeout', target.host);
    throw new OutboundRequestError('network', target.host, code);
  } finally {
    clearTimeout(timer);
  }
}

function parseLocation(location: string, base: URL): string | undefined {
  try {
    return new URL(location, base).toString();
  } catch {
    return undefined;
  }
}
