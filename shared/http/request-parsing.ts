import type { z } from 'zod';
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DomainError('malformed_json', `The body is not valid JSON: ${(error as Error).message}`);
  }
  return validate(schema, parsed, 'body');
}

/** Query strings arrive as strings; schemas coerce. Repeated keys keep the last value. */
export function readQuery<S extends z.ZodType>(query: URLSearchParams, schema: S): z.output<S> {
  return validate(schema, Object.fromEntries(query.entries()), 'query');
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
