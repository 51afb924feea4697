/**
 * Long JSON texts (inputs, outputs, history pages) stored across several string properties, because
 * one Table Storage string property holds at most 64 KiB (32K UTF-16 characters) and one entity at
 * most 1 MiB. `<prefix>_n` holds the part count; absent means "no value" (undefined).
 */
const PART_CHARS = 30_000;
/** Per entity, leaving room for keys and the other properties under the 1 MiB entity limit. */
export const MAX_ENTITY_CHARS = 400_000;

export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
}

export function encodeChunks(prefix: string, text: string | undefined): Record<string, string | number> {
  if (text === undefined) return {};
  if (text.length > MAX_ENTITY_CHARS) {
    throw new PayloadTooLargeError(
      `${prefix} is ${text.length} characters; the local durable engine stores at most ${MAX_ENTITY_CHARS} per value`,
    );
  }
  const out: Record<string, string | number> = {};
  let n = 0;
  for (let i = 0; i < text.length || n === 0; i += PART_CHARS) {
    out[`${prefix}_${n}`] = text.slice(i, i + PART_CHARS);
    n++;
  }
  out[`${prefix}_n`] = n;
  return out;
}

export function decodeChunks(entity: Record<string, unknown>, prefix: string): string | undefined {
  const n = entity[`${prefix}_n`];
  if (typeof n !== 'number') return undefined;
  let text = '';
  for (let i = 0; i < n; i++) {
    const part = entity[`${prefix}_${i}`];
    if (typeof part !== 'string') throw new Error(`stored value ${prefix} is missing part ${i} of ${n}`);
    text += part;
  }
  return text;
}

/** Size of what encodeChunks would store, for planning how many values fit in one entity. */
export function chunkedSize(text: string | undefined): number {
  return text?.length ?? 0;
}
