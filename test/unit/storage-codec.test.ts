import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, setCursorKey } from '../../shared/storage/cursor';
import { decodeEntity, encodeEntity } from '../../shared/storage/entity-codec';
import { EntityTooLargeError, EntityValidationError, InvalidCursorError } from '../../shared/storage/errors';

describe('entity codec', () => {
  it('maps primitives to typed properties and the rest to __json', () => {
    const at = new Date('2026-01-31T00:00:00.000Z');
    const encoded = encodeEntity({
      s: 'x',
      i: 3,
      neg: -0,
      d: 1.5,
      b: false,
      n: null,
      o: { a: [1] },
      a: [],
      at,
      u: undefined,
    });
    expect(encoded).toEqual({
      s: 'x',
      i: { value: '3', type: 'Int64' },
      neg: { value: -0, type: 'Double' },
      d: { value: 1.5, type: 'Double' },
      b: false,
      n__json: 'null',
      o__json: '{"a":[1]}',
      a__json: '[]',
      at,
    });
  });

  it('decodes what the SDK hands back (Int64 as bigint) into the original value', () => {
    const decoded = decodeEntity({
      partitionKey: 'p',
      rowKey: 'r',
      etag: 'W/"x"',
      timestamp: '2026-01-31T00:00:00Z',
      'odata.metadata': 'ignored',
      i: 9_007_199_254_740_991n,
      d: 2.5,
      n__json: 'null',
      o__json: '{"a":[1,{"b":null}]}',
    });
    expect(decoded).toEqual({ i: Number.MAX_SAFE_INTEGER, d: 2.5, n: null, o: { a: [1, { b: null }] } });
  });

  it('refuses names and values Table Storage cannot hold', () => {
    for (const bad of [{ PartitionKey: 'x' }, { rowKey: 'x' }, { Timestamp: 'x' }, { 'a-b': 1 }, { x__json: 'y' }]) {
      expect(() => encodeEntity(bad)).toThrow(EntityValidationError);
    }
    expect(() => encodeEntity({ n: Number.POSITIVE_INFINITY })).toThrow(EntityValidationError);
    expect(() => encodeEntity({ big: 10n })).toThrow(EntityValidationError);
    expect(() => encodeEntity({ s: 'x'.repeat(32 * 1024 + 1) })).toThrow(EntityTooLargeError);
    expect(() => encodeEntity({ o: { s: 'x'.repeat(40_000) } })).toThrow(EntityTooLargeError);
    const many = Object.fromEntries(Array.from({ length: 253 }, (_, i) => [`p${i}`, i]));
    expect(() => encodeEntity(many)).toThrow(EntityTooLargeError);
    const heavy = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, 'x'.repeat(30_000)]));
    expect(() => encodeEntity(heavy)).toThrow(EntityTooLargeError);
  });
});

describe('cursor', () => {
  const scope = ['events', 'tenantA|20260131', null, null, null];

  it('round-trips the continuation token for the same scope', () => {
    const token = Buffer.from('{"nextPartitionKey":"1!8!x","nextRowKey":"1!8!y"}').toString('base64');
    const cursor = encodeCursor(token, scope);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, scope)).toBe(token);
  });

  it('rejects another scope, another key, and any edit', () => {
    const token = Buffer.from('{"nextPartitionKey":"1!8!x"}').toString('base64');
    const editedToken = Buffer.from('{"nextPartitionKey":"1!8!z"}').toString('base64');
    setCursorKey('storage-codec-test-cursor-key-0123456789');
    const cursor = encodeCursor(token, scope);
    expect(() => decodeCursor(cursor, ['events', 'tenantB|20260131', null, null, null])).toThrow(InvalidCursorError);
    const body = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<string, unknown>;
    const edited = Buffer.from(JSON.stringify({ ...body, t: editedToken })).toString('base64url');
    expect(() => decodeCursor(edited, scope)).toThrow(InvalidCursorError);
    setCursorKey('another secret, also at least 32 bytes long');
    try {
      expect(() => decodeCursor(cursor, scope)).toThrow(InvalidCursorError);
    } finally {
      setCursorKey('storage-codec-test-cursor-key-0123456789');
    }
    expect(decodeCursor(cursor, scope)).toBe(token);
    for (const junk of ['', '%%%', 'bnVsbA', Buffer.from('{"v":2,"t":"x","s":"y"}').toString('base64url')]) {
      expect(() => decodeCursor(junk, scope)).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
    }
  });
});
