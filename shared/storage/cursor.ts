import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidCursorError } from './errors';

export { InvalidCursorError } from './errors';

/**
 * Opaque list cursors: base64url JSON `{v, t, s}` where `t` is the SDK continuation token and `s` an
 * HMAC over the token *and* the query scope (table, partition, range, filter). A cursor minted for one
 * tenant's list therefore fails on another list or tenant, and an edited token fails the MAC.
 *
 * Isolation never depends on the MAC: every query pins `PartitionKey eq <tenant partition>`, so a
 * forged continuation can at most skip rows inside the caller's own partition. The MAC turns misuse
 * into a clean 400 `invalid_cursor` instead of confusing pages, and the token's shape is checked
 * as well, so nothing the SDK cannot parse ever reaches it (defence in depth should the key leak).
 *
 * The key is a secret: the composition root installs CURSOR_SIGNING_KEY (a Key Vault reference in
 * Azure) with `setCursorKey`, so cursors work across instances and restarts. Until then (tests that
 * build repositories directly) a random per-process key is used: cursors work within the process.
 */

let key: Buffer = randomBytes(32);

export function setCursorKey(secret: string | Buffer): void {
  const next = Buffer.isBuffer(secret) ? secret : Buffer.from(secret);
  if (next.length < 32) throw new Error('the cursor signing key must be at least 32 bytes');
  key = next;
}

interface CursorBody {
  v: 1;
  t: string;
  s: string;
}

/** The decoded continuation token of @azure/data-tables: base64 JSON of the next keys. */
export interface ContinuationKeys {
  nextPartitionKey: string;
  nextRowKey?: string;
}

const MAX_CURSOR_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function mac(token: string, scope: readonly unknown[]): string {
  return createHmac('sha256', key)
    .update(JSON.stringify([token, ...scope]))
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}

export function encodeCursor(token: string, scope: readonly unknown[]): string {
  const body: CursorBody = { v: 1, t: token, s: mac(token, scope) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The keys inside a data-tables continuation token, or undefined when it is not one: exactly
 * `{nextPartitionKey, nextRowKey?}` with non-empty strings, as the SDK encodes it.
 */
export function continuationKeys(token: string): ContinuationKeys | undefined {
  if (token.length > MAX_CURSOR_LENGTH || !BASE64.test(token)) return undefined;
  const decoded = parseJson(Buffer.from(token, 'base64').toString('utf8'));
  if (!isRecord(decoded)) return undefined;
  const { nextPartitionKey, nextRowKey, ...rest } = decoded;
  if (Object.keys(rest).length > 0) return undefined;
  if (typeof nextPartitionKey !== 'string' || nextPartitionKey === '') return undefined;
  if (nextRowKey === undefined) return { nextPartitionKey };
  if (typeof nextRowKey !== 'string' || nextRowKey === '') return undefined;
  return { nextPartitionKey, nextRowKey };
}

/**
 * The continuation token inside `cursor`, or InvalidCursorError when it is garbled, truncated, not
 * ours, not for `scope`, or not shaped like a continuation token. (The next keys inside are the
 * service's own opaque encoding, not plain keys, so they are checked for shape only; the query's
 * PartitionKey filter keeps any continuation inside the caller's partition.)
 */
export function decodeCursor(cursor: string, scope: readonly unknown[]): string {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) {
    throw new InvalidCursorError('cursor is malformed');
  }
  const body = parseJson(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!isRecord(body) || body.v !== 1 || typeof body.t !== 'string' || body.t === '') {
    throw new InvalidCursorError('cursor is malformed');
  }
  const expected = Buffer.from(mac(body.t, scope));
  const given = Buffer.from(typeof body.s === 'string' ? body.s : '');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new InvalidCursorError('cursor does not belong to this list');
  }
  if (!continuationKeys(body.t)) {
    throw new InvalidCursorError('cursor does not hold a continuation of this list');
  }
  return body.t;
}

interface StateCursorBody {
  v: 1;
  p: unknown;
  s: string;
}

/**
 * A cursor for a list that walks several partitions (day buckets, say): the list's own position
 * `state` (JSON, typically the partition plus the inner repository cursor) signed like a single-
 * partition cursor, so an edited or foreign position is a clean `invalid_cursor` too. The `state`
 * tag in the MAC keeps the two cursor kinds from standing in for each other.
 */
export function encodeStateCursor(state: unknown, scope: readonly unknown[]): string {
  const body: StateCursorBody = { v: 1, p: state, s: mac(JSON.stringify(state), ['state', ...scope]) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** The state inside a cursor from encodeStateCursor for `scope`, or InvalidCursorError. The caller checks its shape. */
export function decodeStateCursor(cursor: string, scope: readonly unknown[]): unknown {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) {
    throw new InvalidCursorError('cursor is malformed');
  }
  const body = parseJson(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!isRecord(body) || body.v !== 1 || !('p' in body)) throw new InvalidCursorError('cursor is malformed');
  const expected = Buffer.from(mac(JSON.stringify(body.p), ['state', ...scope]));
  const given = Buffer.from(typeof body.s === 'string' ? body.s : '');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new InvalidCursorError('cursor does not belong to this list');
  }
  return body.p;
}
