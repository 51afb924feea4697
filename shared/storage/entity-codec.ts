import { EntityTooLargeError, EntityValidationError } from './errors';

/**
 * How a flat zod-validated object becomes Table Storage properties and back.
 *
 * - string, boolean           → the same Edm type (queryable, readable in Storage Explorer)
 * - safe integers             → Edm.Int64, so counters never come back as Double and can pass 2^31
 * - other finite numbers, -0  → Edm.Double
 * - Date                      → Edm.DateTime (read back as Date)
 * - null, objects, arrays     → `<name>__json`, a JSON string; the plain `<name>` property is absent
 * - undefined                 → omitted
 * Reading inverts this exactly, so `decode(encode(v))` deep-equals `v` for any schema-parsed value
 * whose nested parts are JSON-safe (use ISO strings rather than Date inside nested objects).
 */

export const JSON_SUFFIX = '__json';

/** Keys the SDK maps onto system properties; a field with one of these names would be lost. */
const RESERVED = new Set(['partitionkey', 'rowkey', 'timestamp', 'etag']);
/** Property names must be C#-identifier-like on Azure; Cosmos DB for Table is stricter about symbols. */
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,246}$/;
/** 64 KiB per string property, stored as UTF-16. */
export const MAX_STRING_CHARS = 32 * 1024;
/** 1 MiB per entity; keep a margin for keys, system properties and per-property overhead. */
export const MAX_ENTITY_BYTES = 1024 * 1024 - 8 * 1024;
/** 255 properties per entity, three of which are PartitionKey, RowKey and Timestamp. */
export const MAX_PROPERTIES = 252;

type Edm = { value: string; type: 'Int64' } | { value: number; type: 'Double' };
export type EncodedProperty = string | boolean | Date | Edm;

function checkString(name: string, s: string): string {
  if (s.length > MAX_STRING_CHARS) {
    throw new EntityTooLargeError(
      `property "${name}" is ${s.length} chars; Table Storage holds at most ${MAX_STRING_CHARS} per property — store it in a blob`,
    );
  }
  return s;
}

function encodeNumber(name: string, n: number): Edm {
  if (!Number.isFinite(n)) throw new EntityValidationError(`property "${name}" is not a finite number`, 'write');
  if (Number.isSafeInteger(n) && !Object.is(n, -0)) return { value: String(n), type: 'Int64' };
  return { value: n, type: 'Double' };
}

export function encodeEntity(value: Record<string, unknown>): Record<string, EncodedProperty> {
  const out: Record<string, EncodedProperty> = {};
  let bytes = 0;
  let count = 0;
  for (const [name, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (!PROPERTY_NAME.test(name) || RESERVED.has(name.toLowerCase()) || name.endsWith(JSON_SUFFIX)) {
      throw new EntityValidationError(
        `property name "${name}" cannot be stored (letters, digits and _ only; not PartitionKey/RowKey/Timestamp/etag; not ending in ${JSON_SUFFIX})`,
        'write',
      );
    }
    let stored: EncodedProperty;
    let storedName = name;
    if (typeof v === 'string') stored = checkString(name, v);
    else if (typeof v === 'boolean') stored = v;
    else if (typeof v === 'number') stored = encodeNumber(name, v);
    else if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new EntityValidationError(`property "${name}" is an invalid Date`, 'write');
      stored = v;
    } else if (v === null || typeof v === 'object') {
      storedName = name + JSON_SUFFIX;
      stored = checkString(name, JSON.stringify(v));
    } else {
      throw new EntityValidationError(`property "${name}" has unsupported type ${typeof v}`, 'write');
    }
    out[storedName] = stored;
    count += 1;
    bytes += 8 + storedName.length * 2 + (typeof stored === 'string' ? stored.length * 2 + 4 : 8);
  }
  if (count > MAX_PROPERTIES) {
    throw new EntityTooLargeError(`${count} properties; Table Storage allows ${MAX_PROPERTIES} besides the keys`);
  }
  if (bytes > MAX_ENTITY_BYTES) {
    throw new EntityTooLargeError(
      `entity is about ${bytes} bytes; Table Storage allows 1 MiB — move payloads to blobs`,
    );
  }
  return out;
}

/** System properties the SDK puts on a read entity; they are surfaced on Stored<T>, not in the value. */
const SYSTEM = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp']);

export function decodeEntity(entity: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(entity)) {
    if (SYSTEM.has(name) || name.startsWith('odata.')) continue;
    if (name.endsWith(JSON_SUFFIX)) {
      out[name.slice(0, -JSON_SUFFIX.length)] = typeof v === 'string' ? JSON.parse(v) : v;
    } else if (typeof v === 'bigint') {
      // The SDK reads Edm.Int64 as bigint; we only ever write safe integers there.
      out[name] = Number(v);
    } else {
      out[name] = v;
    }
  }
  return out;
}
