import { describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import {
  assertValidKey,
  escapeKey,
  fromInvertedTimeKey,
  invertedTimeKey,
  newestFirstId,
  newestFirstIdTime,
  shardOf,
  splitTenantPartition,
  tenantPartition,
  timeBucket,
  timeBucketsBetween,
  timeKey,
  unescapeKey,
} from '../../shared/storage/keys';

const T = Date.UTC(2026, 0, 31, 13, 45, 12, 345);
/** Plain code-unit comparison: the order Table Storage sorts keys in. */
const lexical = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('invertedTimeKey', () => {
  it('is fixed width and sorts descending with time', () => {
    const times = [0, 1, 999, T - 86_400_000, T - 1, T, T + 1, T + 3_600_000, Date.UTC(2200, 0, 1)];
    const keys = times.map(invertedTimeKey);
    expect(new Set(keys.map((k) => k.length))).toEqual(new Set([13]));
    expect([...keys].sort(lexical)).toEqual([...keys].reverse());
    expect(keys.map(fromInvertedTimeKey)).toEqual(times);
  });

  it('rejects times it cannot represent', () => {
    expect(() => invertedTimeKey(-1)).toThrow(RangeError);
    expect(() => invertedTimeKey(Number.NaN)).toThrow(RangeError);
    expect(() => invertedTimeKey(1e14)).toThrow(RangeError);
  });

  it('timeKey sorts ascending with time', () => {
    const keys = [T + 5, T, 7, T + 100_000].map(timeKey);
    expect([...keys].sort(lexical)).toEqual([timeKey(7), timeKey(T), timeKey(T + 5), timeKey(T + 100_000)]);
  });
});

describe('newestFirstId', () => {
  it('is a 26-char Crockford base32 id whose lexical order is newest first', () => {
    const times = Array.from({ length: 200 }, (_, i) => T + (i % 2 === 0 ? i * 997 : -i * 13));
    const ids = times.map((t) => newestFirstId(t));
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const byId = ids.map((id, i) => ({ id, t: times[i]! })).sort((a, b) => lexical(a.id, b.id));
    const ts = byId.map((x) => x.t);
    expect(ts).toEqual([...ts].sort((a, b) => b - a));
    expect(ids.map(newestFirstIdTime)).toEqual(times);
  });

  it('orders ids minted in the same millisecond newest first (a frozen clock still gives a stable feed)', () => {
    const restore = installClock(new ManualClock(T));
    try {
      const ids = Array.from({ length: 1000 }, () => newestFirstId());
      expect(new Set(ids).size).toBe(1000);
      expect([...ids].sort(lexical)).toEqual([...ids].reverse());
      expect(newestFirstIdTime(ids[0]!)).toBe(T);
    } finally {
      restore();
    }
  });

  it('puts any later millisecond before any earlier one', () => {
    const older = Array.from({ length: 50 }, () => newestFirstId(T));
    const newer = newestFirstId(T + 1);
    for (const id of older) expect(lexical(newer, id)).toBe(-1);
  });
});

describe('timeBucket', () => {
  it('labels UTC days and hours, ascending with time', () => {
    expect(timeBucket(T, 'day')).toBe('20260131');
    expect(timeBucket(T, 'hour')).toBe('2026013113');
    expect(timeBucket(Date.UTC(2026, 0, 31, 23, 59, 59, 999), 'day')).toBe('20260131');
    expect(timeBucket(Date.UTC(2026, 1, 1), 'day')).toBe('20260201');
    const hours = [0, 1, 5, 30, 400].map((h) => timeBucket(T + h * 3_600_000, 'hour'));
    expect([...hours].sort(lexical)).toEqual(hours);
  });

  it('enumerates the buckets of a range newest first', () => {
    expect(timeBucketsBetween(Date.UTC(2026, 0, 30, 22), Date.UTC(2026, 1, 1, 1), 'day')).toEqual([
      '20260201',
      '20260131',
      '20260130',
    ]);
    expect(timeBucketsBetween(Date.UTC(2026, 0, 31, 22, 30), Date.UTC(2026, 0, 31, 23, 10), 'hour')).toEqual([
      '2026013123',
      '2026013122',
    ]);
  });
});

describe('escapeKey / tenantPartition', () => {
  const nasty = [
    'a/b',
    'back\\slash',
    'hash#tag',
    'what?',
    'tab\there',
    'nl\n',
    'del\u007f',
    'c1\u0085',
    "o'k",
    '50%',
    'pipe|d',
    'tilde~7E',
    'üñí©ødé',
    '',
  ];

  it('is reversible and produces keys Table Storage accepts', () => {
    for (const s of nasty) {
      const escaped = escapeKey(s);
      expect(unescapeKey(escaped)).toBe(s);
      if (escaped) expect(() => assertValidKey('RowKey', escaped)).not.toThrow();
      const forbidden = [...escaped].filter(
        (ch) =>
          "/\\#?|%'".includes(ch) || ch.charCodeAt(0) < 0x20 || (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f),
      );
      expect(forbidden).toEqual([]);
    }
  });

  it('leaves ordinary ids untouched', () => {
    expect(escapeKey('01JABCDEF-tenant_1.x')).toBe('01JABCDEF-tenant_1.x');
  });

  it('never maps two different part lists to the same partition', () => {
    expect(tenantPartition('t1', '20260131')).toBe('t1|20260131');
    expect(tenantPartition('a|b', 'c')).not.toBe(tenantPartition('a', 'b|c'));
    expect(splitTenantPartition(tenantPartition('a|b', 'c/d', '3'))).toEqual({ tenantId: 'a|b', parts: ['c/d', '3'] });
    expect(() => tenantPartition('')).toThrow();
  });

  it('assertValidKey rejects what the service would', () => {
    for (const bad of ['', 'a/b', 'a\\b', 'a#b', 'a?b', 'a\u0001', 'x'.repeat(1025)]) {
      expect(() => assertValidKey('PartitionKey', bad)).toThrow(expect.objectContaining({ code: 'invalid_key' }));
    }
  });

  it('shardOf is stable and spreads values', () => {
    expect(shardOf('evt_123', 8)).toBe(shardOf('evt_123', 8));
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[shardOf(`event-${i}`, 4)] += 1;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});
