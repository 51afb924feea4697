import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidCursorError } from './errors';

export { InvalidCursorError } from './errors';

/**
 * Opaque list cursors: base64url JSON `{v, t, s}` where `t` is the SDK continuation token and `s` an
 * HMAC over the token *and* the query scope (table, partition, range, filter). A cursor minted for one
 * tenant's list therefore fails on another list or tenant, and an edited token fails the MAC.
 *
 * Isolation never depends on the MAC: every query pins `PartitionKey eq <tenant partition>`, so a
 * forged continuation can at most skip rows inside the caller's own partition. The MAC turns misuse
 * into a clean 400 `invalid_cursor` instead of confusing pages. The key defaults to a built-in value
 * (cursors then survive restarts and work across instances); `setCursorKey` can install a secret.
 */

let key: Buffer = Buffer.from('msp-integration-hub/list-cursor/v1');

export function setCursorKey(secret: string | Buffer): void {
  key = Buffer.isBuffer(secret) ? secret : Buffer.from(secret);
}

interface CursorBody {
  v: 1;
  t: string;
  s: string;
}

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

/** The continuation token inside `cursor`, or InvalidCursorError when it is not ours or not for `scope`. */
export function decodeCursor(cursor: string, scope: readonly unknown[]): string {
  let body: Partial<CursorBody>;
  try {
    if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw new Error('not base64url');
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch (cause) {
    throw new InvalidCursorError('cursor is malformed', { cause });
  }
  if (body === null || typeof body !== 'object' || body.v !== 1 || typeof body.t !== 'string' || !body.t) {
    throw new InvalidCursorError('cursor is malformed');
  }
  const expected = Buffer.from(mac(body.t, scope));
  const given = Buffer.from(typeof body.s === 'string' ? body.s : '');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new InvalidCursorError('cursor does not belong to this list');
  }
  return body.t;
}
