import { type NetworkPolicy, OutboundUrlBlockedError } from '../../net/guard';
import { guardedFetch, OutboundRequestError } from '../../net/guarded-fetch';
import { inSpan } from '../../observability/telemetry';
import { SPAN_NAMES } from '../../observability/telemetry-names';
import { VendorError, type VendorHttp, type VendorId, type VendorRequest, type VendorResponse } from '../contract';
import { type ConcurrencyGate, type ConcurrencyRule, processConcurrencyGate } from './concurrency-gate';
import { originAllowed, originOf } from './destinations';
import type { RateGate, VendorBudget } from './rate-gate';

export interface VendorHttpOptions {
  vendor: VendorId;
  /** The network guard's policy (https only and public addresses in production). */
  policy: NetworkPolicy;
  /** Default per-request timeout covering connect, headers and body (default 15 s). */
  timeoutMs?: number;
  /** Shared budget; both rateGate and accountKey are needed for it to apply. */
  rateGate?: RateGate;
  /**
   * The budget's key. Integration sessions pass tenant plus a keyed hash of the vendor account and
   * credentials (shared/integrations/sessions.ts), never a name anyone could guess.
   */
  accountKey?: string;
  /** The integration's own budget where its config sets one (Connector.rateLimitFor). */
  budget?: VendorBudget;
  /**
   * Origins (and host families) these credentials may be sent to (core/destinations.ts). A request
   * anywhere else is refused before the rate gate and before a byte is sent: kind `blocked`, code
   * `destination_not_bound`. Unset: no restriction (tests of a connector alone).
   */
  allowedOrigins?: readonly string[];
  /** Largest response body read (default 1 MiB, the guard's default). */
  maxResponseBytes?: number;
  /**
   * The vendor's limit on requests in flight (Connector.concurrency), kept per accountKey and
   * endpoint in this process (core/concurrency-gate.ts).
   */
  concurrency?: ConcurrencyRule;
  /** The gate that keeps it (default: the process-wide one). */
  concurrencyGate?: ConcurrencyGate;
}

export const DEFAULT_VENDOR_TIMEOUT_MS = 15_000;

/**
 * The HTTP port connectors talk through: the network guard on every request, a timeout, the
 * vendor account's shared budget, JSON/form encoding and JSON decoding. Every HTTP status comes
 * back as a response (the connector knows the vendor's error shape); only failures without a
 * response are thrown, as VendorError `timeout`, `network` or `blocked`. It never retries.
 *
 * Redirects are not followed: vendor APIs do not redirect API calls, and following one would
 * replay credential headers to whatever host the redirect names.
 */
export function createVendorHttp(options: VendorHttpOptions): VendorHttp {
  const timeoutDefault = options.timeoutMs ?? DEFAULT_VENDOR_TIMEOUT_MS;
  const untraced: VendorHttp = {
    async request(request: VendorRequest): Promise<VendorResponse> {
      if (options.allowedOrigins !== undefined) refuseUnboundOrigin(options.vendor, request, options.allowedOrigins);
      if (options.rateGate && options.accountKey !== undefined) {
        await options.rateGate.acquire(options.vendor, options.accountKey, request.operation, options.budget);
      }
      const endpoint = options.concurrency?.endpointOf(request.url);
      if (options.concurrency && endpoint !== undefined) {
        const gate = options.concurrencyGate ?? processConcurrencyGate;
        const key = `${options.vendor}|${options.accountKey ?? ''}|${endpoint}`;
        return gate.run(key, options.concurrency.perEndpoint, () => send(request));
      }
      return send(request);
    },
  };

  async function send(request: VendorRequest): Promise<VendorResponse> {
    const { headers, body } = encode(request);
    const timeoutMs = request.timeoutMs ?? timeoutDefault;
    try {
      const response = await guardedFetch(request.url, {
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        timeoutMs,
        maxRedirects: 0,
        ...(options.maxResponseBytes !== undefined ? { maxResponseBytes: options.maxResponseBytes } : {}),
        policy: options.policy,
      });
      return { status: response.status, headers: response.headers, body: decode(response.headers, response.body) };
    } catch (error) {
      throw networkFailure(options.vendor, request.operation, timeoutMs, error);
    }
  }

  return { request: (request) => traced(options.vendor, request, untraced) };
}

/** A dependency span per vendor call: host and method only, since a path or query can hold an account id or a key. */
function traced(vendor: VendorId, request: VendorRequest, http: VendorHttp): Promise<VendorResponse> {
  let host: string | undefined;
  try {
    host = new URL(request.url).hostname;
  } catch {
    host = undefined;
  }
  return inSpan(
    SPAN_NAMES.vendorCall,
    { kind: 'client', attributes: { vendor, httpMethod: request.method, serverAddress: host } },
    async (span) => {
      const response = await http.request(request);
      span.set({ httpStatus: response.status });
      if (response.status >= 400) span.fail(response.status);
      return response;
    },
  );
}

export const DESTINATION_NOT_BOUND = 'destination_not_bound';

function refuseUnboundOrigin(vendor: VendorId, request: VendorRequest, allowed: readonly string[]): void {
  const origin = originOf(request.url);
  if (origin !== undefined && originAllowed(origin, allowed)) return;
  throw new VendorError({
    vendor,
    operation: request.operation,
    kind: 'blocked',
    vendorCode: DESTINATION_NOT_BOUND,
    vendorMessage: `Not sent: ${origin ?? 'that address'} is not an address these credentials were saved for.`,
  });
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(headers).some((key) => key.toLowerCase() === lower);
}

function encode(request: VendorRequest): { headers: Record<string, string>; body: string | undefined } {
  const headers: Record<string, string> = { ...(request.headers ?? {}) };
  if (request.form !== undefined) {
    if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    return { headers, body: new URLSearchParams(request.form).toString() };
  }
  if (request.json !== undefined) {
    if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/json';
    return { headers, body: JSON.stringify(request.json) };
  }
  return { headers, body: undefined };
}

/** JSON (any `json` or `+json` media type, or a body that plainly is JSON) parsed; text otherwise. */
export function decode(headers: Record<string, string>, raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return '';
  const type = (headers['content-type'] ?? '').toLowerCase();
  const looksJson = /[/+]json\b/.test(type) || (type === '' && /^\s*[[{]/.test(text));
  if (!looksJson) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function networkFailure(vendor: VendorId, operation: string, timeoutMs: number, error: unknown): unknown {
  if (error instanceof VendorError) return error;
  if (error instanceof OutboundUrlBlockedError) {
    // The guard's reason travels as the vendor code, so callers branch on it, not on message text.
    return new VendorError({
      vendor,
      operation,
      kind: 'blocked',
      vendorCode: error.reason,
      vendorMessage: error.message,
    });
  }
  if (error instanceof OutboundRequestError) {
    return error.kind === 'timeout'
      ? new VendorError({
          vendor,
          operation,
          kind: 'timeout',
          vendorMessage: `No complete answer within ${timeoutMs} ms.`,
        })
      : new VendorError({ vendor, operation, kind: 'network', vendorMessage: error.message });
  }
  return error;
}
