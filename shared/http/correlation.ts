import { ulid } from 'ulid';

export const CORRELATION_HEADER = 'x-correlation-id';
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Whether the Node worker would hand `value` back as something other than this string. The worker
 * JSON-parses every string of a trigger's metadata (`fromRpcTypedData` → `tryJsonParse` in
 * @azure/functions), so a correlation id `true`, `null`, `1e400` or `12345678901234567890` reaches
 * a queue trigger as a boolean, null, Infinity or a rounded number (docs/bus.md, "Trigger metadata").
 */
export function parsesAsNonString(value: string): boolean {
  try {
    return typeof JSON.parse(value) !== 'string';
  } catch {
    return false;
  }
}

/**
 * Echo a caller's correlation id when it is safe to log, to echo and to carry on a queue message
 * unchanged; otherwise mint one. Every route (API, webhook receive, the local host's own answers)
 * comes through here, so an id is replaced the same way everywhere, never refused.
 */
export function correlationIdFrom(headerValue: string | null | undefined): string {
  return headerValue && ACCEPTABLE.test(headerValue) && !parsesAsNonString(headerValue) ? headerValue : ulid();
}
