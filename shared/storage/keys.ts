import { randomBytes } from 'node:crypto';
import { nowMs } from '../clock';
import { InvalidKeyError } from './errors';

/**
 * Key design helpers. Table Storage indexes only PartitionKey + RowKey and returns rows in ascending
 * lexical order, so every "newest first" list and every range filter is a property of the key.
 */

/** 13 digits cover every millisecond up to the year 2286; fixed width keeps lexical = numeric order. */
const MAX_MS = 9_999_999_999_999;
const TIME_WIDTH = 13;

function assertMs(atMs: number, what: string): number {
  if (!Number.isFinite(atMs) || atMs < 0 || atMs > MAX_MS) throw new RangeError(`${what}: ${atMs} is out of range`);
  return Math.floor(atMs);
}

/** Fixed-width decimal key that sorts descending with time: later instants give smaller strings. */
export function invertedTimeKey(atMs: number): string {
  return String(MAX_MS - assertMs(atMs, 'invertedTimeKey')).padStart(TIME_WIDTH, '0');
}

/** The instant an `invertedTimeKey` (or the first 13 chars of a key starting with one) stands for. */
export function fromInvertedTimeKey(key: string): number {
  const digits = key.slice(0, TIME_WIDTH);
  if (!/^\d{13}$/.test(digits)) throw new RangeError(`not an inverted time key: ${key}`);
  return MAX_MS - Number(digits);
}

/** Ascending fixed-width key (for rows listed oldest-first, e.g. a timeline). */
export function timeKey(atMs: number): string {
  return String(assertMs(atMs, 'timeKey')).padStart(TIME_WIDTH, '0');
}

// Crockford base32 is in ASCII order, so lexical order of encodings equals numeric order.
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID_MAX_MS = 2 ** 48 - 1;
const RANDOM_CHARS = 16;

let lastMs = -1;
let lastRandom: number[] = [];

function randomDigits(): number[] {
  const bytes = randomBytes(RANDOM_CHARS);
  // Keep the top digit below 16 so a same-millisecond id can always count down without wrapping.
  return Array.from(bytes, (b, i) => (i === 0 ? 16 + (b % 16) : b % 32));
}

function decrement(digits: number[]): number[] | undefined {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! > 0) {
      next[i]! -= 1;
      return next;
    }
    next[i] = 31;
  }
  return undefined;
}

/**
 * A 26-char ULID-shaped id (Crockford base32) whose lexical order is newest first: the 10 time
 * characters encode `2^48-1 - ms`, the 16 random characters follow. Ids minted in this process within
 * the same millisecond as the previous call count *down*, so even under a frozen test clock a later
 * id sorts first.
 * It is not a standard ULID: `decodeTime` from the ulid package gives a wrong time; use
 * `newestFirstIdTime`.
 */
export function newestFirstId(atMs: number = nowMs()): string {
  const ms = Math.floor(atMs);
  if (!Number.isFinite(ms) || ms < 0 || ms > ULID_MAX_MS) throw new RangeError(`newestFirstId: ${atMs} out of range`);
  let random: number[] | undefined;
  if (ms === lastMs) random = decrement(lastRandom);
  random ??= randomDigits();
  lastMs = ms;
  lastRandom = random;
  let inverted = ULID_MAX_MS - ms;
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = B32[inverted % 32] + time;
    inverted = Math.floor(inverted / 32);
  }
  return time + random.map((d) => B32[d]).join('');
}

/**
 * The 10 time characters every `newestFirstId` minted at `atMs` starts with, for RowKey ranges by
 * time (a later instant sorts first). Unlike newestFirstId it touches no per-process state.
 */
export function newestFirstTimePrefix(atMs: number): string {
  const ms = Math.min(ULID_MAX_MS, Math.max(0, Math.floor(atMs)));
  let inverted = ULID_MAX_MS - ms;
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = B32[inverted % 32] + time;
    inverted = Math.floor(inverted / 32);
  }
  return time;
}

/** The millisecond a `newestFirstId` was minted at. */
export function newestFirstIdTime(id: string): number {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) throw new RangeError(`not a newest-first id: ${id}`);
  let inverted = 0;
  for (const ch of id.slice(0, 10)) inverted = inverted * 32 + B32.indexOf(ch);
  return ULID_MAX_MS - inverted;
}

/** UTC bucket label, ascending: `YYYYMMDD` (day) or `YYYYMMDDHH` (hour). */
export function timeBucket(atMs: number, bucket: 'hour' | 'day'): string {
  const iso = new Date(assertMs(atMs, 'timeBucket')).toISOString(); // 2026-01-31T13:45:00.000Z
  const day = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  return bucket === 'day' ? day : day + iso.slice(11, 13);
}

const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/**
 * Every bucket touched by [fromMs, toMs], newest first: a time-ranged list over a bucketed table
 * walks these partitions one after another instead of scanning the table.
 */
export function timeBucketsBetween(fromMs: number, toMs: number, bucket: 'hour' | 'day'): string[] {
  const step = BUCKET_MS[bucket];
  const start = Math.floor(assertMs(fromMs, 'timeBucketsBetween') / step) * step;
  const out: string[] = [];
  for (let t = Math.floor(assertMs(toMs, 'timeBucketsBetween') / step) * step; t >= start; t -= step) {
    out.push(timeBucket(t, bucket));
  }
  return out;
}

/**
 * Characters Table Storage (and Cosmos DB for Table) reject in keys, plus the characters we give
 * meaning to: `~` is the escape, `|` separates partition parts, `%` and `'` upset some URL paths.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
const UNSAFE = /[~|%'/\\#?\u0000-\u001f\u007f-\u009f]/g;

/** Reversible escaping to `~XX` (hex code unit) of characters a key cannot carry. */
export function escapeKey(value: string): string {
  return value.replace(UNSAFE, (ch) => `~${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function unescapeKey(value: string): string {
  return value.replace(/~([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** `tenant|part|part`, each part escaped so no two different part lists give the same key. */
export function tenantPartition(tenantId: string, ...parts: string[]): string {
  if (!tenantId) throw new InvalidKeyError('tenantPartition: tenant id is empty');
  return [tenantId, ...parts].map(escapeKey).join('|');
}

/** Inverse of `tenantPartition`. */
export function splitTenantPartition(partition: string): { tenantId: string; parts: string[] } {
  const [tenantId = '', ...parts] = partition.split('|').map(unescapeKey);
  return { tenantId, parts };
}

/**
 * A stable shard number in [0, shards) for spreading one tenant's hot writes over several
 * partitions (e.g. `tenantPartition(t, day, String(shardOf(eventId, 4)))`); readers fan out over all.
 */
export function shardOf(value: string, shards: number): number {
  let h = 2166136261; // FNV-1a: cheap, stable across processes and versions
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % shards;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are forbidden in keys
const FORBIDDEN_IN_KEY = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
/** Cosmos DB for Table limits the RowKey (its `id`) to 255 characters; Azure Tables allows 1 KiB. */
const MAX_KEY_LENGTH = 1024;

/** Throws InvalidKeyError for keys the service would reject with an opaque 400. */
export function assertValidKey(kind: 'PartitionKey' | 'RowKey', key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(`${kind} must be a non-empty string`);
  if (key.length > MAX_KEY_LENGTH) throw new InvalidKeyError(`${kind} is longer than ${MAX_KEY_LENGTH} characters`);
  if (FORBIDDEN_IN_KEY.test(key)) {
    throw new InvalidKeyError(`${kind} contains / \\ # ? or a control character; build it with escapeKey()`);
  }
}
