import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  continuationKeys,
  decodeCursor,
  decodeStateCursor,
  encodeCursor,
  encodeStateCursor,
  InvalidCursorError,
  setCursorKey,
} from '../../shared/storage/cursor';

const scope = ['apikeys', 'tenant-a', null, null, null];
const sdkToken = (keys: Record<string, unknown>) => Buffer.from(JSON.stringify(keys)).toString('base64');
const validToken = sdkToken({ nextPartitionKey: '1!12!dGVuYW50LWE-', nextRowKey: '1!36!MDFhYmM-' });

/** A cursor with a correct MAC under `key`: what someone who knows the signing key could build. */
function forge(key: string, token: string, forScope: readonly unknown[] = scope): string {
  const s = createHmac('sha256', key)
    .update(JSON.stringify([token, ...forScope]))
    .digest()
    .subarray(0, 16)
    .toString('base64url');
  return Buffer.from(JSON.stringify({ v: 1, t: token, s })).toString('base64url');
}

describe('list cursors', () => {
  it('round-trips a continuation token for the same list', () => {
    expect(decodeCursor(encodeCursor(validToken, scope), scope)).toBe(validToken);
  });

  it('refuses a cursor for another list, tenant or filter', () => {
    const cursor = encodeCursor(validToken, scope);
    for (const other of [
      ['apikeys', 'tenant-b', null, null, null],
      ['audit', 'tenant-a', null, null, null],
      ['apikeys', 'tenant-a', 'a', null, null],
    ]) {
      expect(() => decodeCursor(cursor, other)).toThrow(InvalidCursorError);
    }
  });

  it('refuses truncated, garbled and oversized cursors', () => {
    const cursor = encodeCursor(validToken, scope);
    const cases = [
      cursor.slice(0, -1),
      cursor.slice(0, 10),
      `${cursor}AAAA`,
      cursor.replace(/[A-Za-z]/, (c) => (c === 'A' ? 'B' : 'A')),
      '',
      'not base64 !',
      'e30',
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('{"v":2,"t":"x","s":"y"}').toString('base64url'),
      'A'.repeat(5000),
    ];
    for (const bad of cases) expect(() => decodeCursor(bad, scope), bad).toThrow(InvalidCursorError);
  });

  it('does not verify with a constant built into the code: a cursor forged with the old constant fails', () => {
    expect(() => decodeCursor(forge('msp-integration-hub/list-cursor/v1', validToken), scope)).toThrow(
      InvalidCursorError,
    );
  });

  it('uses the installed secret, and even a correctly signed cursor must hold a real continuation token', () => {
    const secret = 'unit-test-cursor-secret-0123456789abcdef';
    setCursorKey(secret);
    expect(decodeCursor(forge(secret, validToken), scope)).toBe(validToken);
    // What used to reach the storage SDK and answer 500: a signed cursor around garbage.
    for (const junk of [
      Buffer.from('{"nextPartitionKey":').toString('base64'),
      sdkToken({ nextRowKey: 'x' }),
      sdkToken({ nextPartitionKey: '' }),
      sdkToken({ nextPartitionKey: 'p', nextRowKey: 7 }),
      sdkToken({ nextPartitionKey: 'p', extra: true }),
      'not*base64',
    ]) {
      expect(() => decodeCursor(forge(secret, junk), scope), junk).toThrow(InvalidCursorError);
    }
  });

  it('refuses signing keys too short to be secrets', () => {
    expect(() => setCursorKey('short')).toThrow(/at least 32 bytes/);
  });

  it('reads the SDK continuation shape strictly', () => {
    expect(continuationKeys(sdkToken({ nextPartitionKey: 'p' }))).toEqual({ nextPartitionKey: 'p' });
    expect(continuationKeys(validToken)).toEqual({
      nextPartitionKey: '1!12!dGVuYW50LWE-',
      nextRowKey: '1!36!MDFhYmM-',
    });
    expect(continuationKeys(sdkToken({ nextPartitionKey: 'p', nextRowKey: '' }))).toBeUndefined();
    expect(continuationKeys(Buffer.from('"just a string"').toString('base64'))).toBeUndefined();
  });

  it('signs multi-partition state cursors to their list', () => {
    const state = { day: '20261201', inner: null };
    const cursor = encodeStateCursor(state, scope);
    expect(decodeStateCursor(cursor, scope)).toEqual(state);
    expect(() => decodeStateCursor(cursor, [...scope, 'other'])).toThrow(InvalidCursorError);
    const unsigned = Buffer.from(JSON.stringify({ day: '20261201', inner: null })).toString('base64url');
    expect(() => decodeStateCursor(unsigned, scope)).toThrow(InvalidCursorError);
    const edited = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { p: { day: string } };
    edited.p.day = '20261130';
    expect(() => decodeStateCursor(Buffer.from(JSON.stringify(edited)).toString('base64url'), scope)).toThrow(
      InvalidCursorError,
    );
    // A single-partition cursor never passes as a state cursor (and back).
    expect(() => decodeStateCursor(encodeCursor(validToken, scope), scope)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encodeStateCursor(validToken, scope), scope)).toThrow(InvalidCursorError);
  });
});
