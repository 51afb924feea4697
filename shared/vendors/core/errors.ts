import { nowMs } from '../../clock';
import { kindForStatus, VendorError, type VendorId, type VendorResponse } from '../contract';

/** What a vendor said when it refused a request: the message its error shape carries and its own code, if any. */
export interface VendorMessage {
  message: string;
  code?: string;
}

/**
 * Reads a vendor's error body shape; returns undefined when the body is not that shape. Readers
 * only ever see parsed JSON (objects and arrays): a text body is never a message (below).
 */
export type MessageReader = (body: unknown) => VendorMessage | undefined;
/** A vendor may ask for a long pause; the caller clamps it, we only refuse nonsense. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** The code a 403 with Retry-After gets when the vendor gave none (a temporary IP block). */
export const TEMPORARILY_BLOCKED = 'temporarily_blocked';

/** Throws the vendor's own refusal as a VendorError unless the response is 2xx. */
export function expectOk(
  vendor: VendorId,
  operation: string,
  response: VendorResponse,
  readMessage: MessageReader,
): void {
  if (!isSuccess(response.status)) throw vendorErrorFrom(vendor, operation, response, readMessage);
}

/**
 * A VendorError for a non-2xx response: kind from the status, Retry-After parsed, and as message
 * only what the vendor's known error shape carries (bounded by VendorError), else a generic one
 * with the status. A raw body is never repeated: a test pointed at an arbitrary server would
 * otherwise read that server's pages back through the hub (docs/integrations.md).
 */
export function vendorErrorFrom(
  vendor: VendorId,
  operation: string,
  response: VendorResponse,
  readMessage: MessageReader,
  kind = kindForStatus(response.status),
): VendorError {
  const said = safeRead(readMessage, response.body);
  const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
  // A 403 that says when to come back is a temporary block, not a permission problem: Datto RMM
  // blocks the caller's IP for a while after repeated 429s and says so with Retry-After. It clears
  // by itself, so it is waited out like a 429 (docs/vendor-fidelity.md).
  const blocked = response.status === 403 && kind === 'forbidden' && retryAfterMs !== undefined;
  return new VendorError({
    vendor,
    operation,
    kind: blocked ? 'rate_limited' : kind,
    httpStatus: response.status,
    ...(said?.code ? { vendorCode: said.code } : blocked ? { vendorCode: TEMPORARILY_BLOCKED } : {}),
    vendorMessage: said?.message || unrecognised(vendor, response.status),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** A 2xx whose body we cannot use (wrong shape, HTML from a proxy, truncated); the body is not repeated. */
export function badResponse(vendor: VendorId, operation: string, response: VendorResponse, why: string): VendorError {
  const what = response.body === '' ? 'an empty body' : typeof response.body === 'string' ? 'a text body' : 'JSON';
  return new VendorError({
    vendor,
    operation,
    kind: 'bad_response',
    httpStatus: response.status,
    vendorMessage: `${why} (HTTP ${response.status} with ${what}).`,
  });
}

function safeRead(readMessage: MessageReader, body: unknown): VendorMessage | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  try {
    const said = readMessage(body);
    return typeof said?.message === 'string' ? said : undefined;
  } catch {
    return undefined;
  }
}

function unrecognised(vendor: VendorId, status: number): string {
  return `HTTP ${status} without an error message in ${vendor}'s format.`;
}

/**
 * `Retry-After` as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Unparseable or absurd values give undefined so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | undefined, atMs: number = nowMs()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const ms = Math.round(Number(text) * 1000);
    return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
  }
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  const ms = Math.max(0, date - atMs);
  return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
}

// Small defensive readers: vendor bodies are untrusted and differ between versions.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a path of object keys / array indexes, or undefined anywhere along the way. */
export function pathValue(value: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[step];
    } else {
      if (!isRecord(current)) return undefined;
      current = current[step];
    }
  }
  return current;
}

/** A non-empty string at the path (numbers are turned into strings, e.g. numeric error codes). */
export function stringAt(value: unknown, ...path: (string | number)[]): string | undefined {
  const found = pathValue(value, ...path);
  if (typeof found === 'string' && found.trim() !== '') return found;
  if (typeof found === 'number' && Number.isFinite(found)) return String(found);
  return undefined;
}

export function numberAt(value: unknown, ...path: (string | number)[]): number | undefined {
  const found = pathValue(value, ...path);
  if (typeof found === 'number' && Number.isFinite(found)) return found;
  if (typeof found === 'string' && found.trim() !== '' && Number.isFinite(Number(found))) return Number(found);
  return undefined;
}

/** Quota headroom in [0, 1] from a used/limit pair (a limit of 0 means no headroom). */
export function headroom(used: number, limit: number): number {
  if (limit <= 0) return 0;
  return Math.min(1, Math.max(0, 1 - used / limit));
}
