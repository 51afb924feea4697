import { z } from 'zod';
import { DomainError } from '../errors/domain-error';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from './errors';

/** The parts of an incoming request that parsing needs (a subset of @azure/functions' HttpRequest). */
export interface RawRequest {
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads and validates a JSON body. Order matters: size and media type are checked before the body
 * is parsed, so an oversize or mistyped request costs nothing and changes nothing.
 */
export async function readJsonBody<S extends z.ZodType>(
  request: RawRequest,
  schema: S,
  maxBytes: number,
): Promise<z.output<S>> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw new PayloadTooLargeError(maxBytes);
  const contentType = request.headers.get('content-type');
  if (!contentType || !JSON_TYPE.test(contentType)) throw new UnsupportedMediaTypeError(contentType);
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw new PayloadTooLargeError(maxBytes);
  if (bytes.byteLength === 0) throw new DomainError('body_required', 'This request needs a JSON body.');
  const text = bytes.toString('utf8');
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new DomainError('json_too_deep', `The body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`, {
      maxDepth: MAX_JSON_DEPTH,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DomainError('malformed_json', `The body is not valid JSON: ${(error as Error).message}`);
  }
  return validate(schema, parsed, 'body');
}

/**
 * Deepest nesting of arrays and objects a request body may have. The API's own shapes need a few
 * levels; free-form fields (event data, SOP conditions) a few dozen at most. Anything deeper is an
 * attack on whatever walks the value later (recursive validators, serialisers, template engines),
 * so it is refused before parsing, in one linear pass.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `text` opens more than `max` arrays/objects at once (brackets inside strings do not count). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Query strings arrive as strings; schemas coerce. A parameter given twice is refused rather than
 * resolved: which of two values wins differs between proxies, caches and frameworks, and a request
 * that means different things to different hops is how filters get bypassed.
 */
export function readQuery<S extends z.ZodType>(query: URLSearchParams, schema: S): z.output<S> {
  const values: Record<string, string> = {};
  const repeated = new Set<string>();
  for (const [name, value] of query.entries()) {
    if (Object.hasOwn(values, name)) repeated.add(name);
    values[name] = value;
  }
  if (repeated.size > 0) {
    const names = [...repeated];
    throw new ValidationError(
      `The query is not valid: ${names.map((n) => `query.${n}: given more than once`).join('; ')}`,
      names.map((n) => ({ path: `query.${n}`, message: 'given more than once' })),
    );
  }
  return validate(schema, values, 'query');
}

/**
 * The query string as the client sent it, parsed from the request URL: the Functions host hands a
 * worker its query as a name → value map, where a repeated name is already merged or dropped.
 */
export function clientQuery(request: { url: string; query: URLSearchParams }): URLSearchParams {
  try {
    return new URL(request.url).searchParams;
  } catch {
    return request.query;
  }
}

/** No query parameters at all: what a route without a query schema accepts. */
export const noQuery = z.strictObject({});

/**
 * Characters no identifier contains and Table Storage refuses in a key: path separators, `#`, `?`
 * and control characters. A path parameter holding one is refused here, for every route, before
 * any lookup could fail on it.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const NOT_IN_AN_ID = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

export function checkPathParams(params: Record<string, string>): void {
  const bad = Object.keys(params).filter((name) => NOT_IN_AN_ID.test(params[name] ?? ''));
  if (bad.length === 0) return;
  const message = 'must not contain /, \\, #, ? or control characters';
  throw new ValidationError(
    `The params are not valid: ${bad.map((n) => `params.${n}: ${message}`).join('; ')}`,
    bad.map((n) => ({ path: `params.${n}`, message })),
  );
}

export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'params',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
    ...(issue.code === 'unrecognized_keys' ? { unknownFields: issue.keys } : {}),
  }));
  const onlyUnknownFields = result.error.issues.every((i) => i.code === 'unrecognized_keys');
  if (onlyUnknownFields) {
    const fields = result.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : []));
    throw new DomainError('unknown_field', `Unknown ${where} field(s): ${fields.join(', ')}.`, { errors });
  }
  throw new ValidationError(
    `The ${where} is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    errors,
  );
}
