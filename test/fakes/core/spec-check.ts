import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FakeRequest } from './fake-server';

/**
 * Holds a fake to its vendor's published description (docs/vendor-fidelity.md): the slice of the
 * vendor's OpenAPI document the hub uses is kept under test/fixtures/vendor-specs/<vendor>/, and
 * every request a fake receives under the slice's paths is checked against it before the fake's
 * own handler runs — path and method, path and query parameters, required headers, and the JSON
 * body against a JSON Schema subset (type, nullable, format int32/int64/uuid/date-time, enum,
 * required, properties, additionalProperties, items, minLength/maxLength, minimum/maximum,
 * allOf, $ref). What the subset does not know it does not check; it never invents a rule.
 */

export interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  format?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  allOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
}

export interface OpenApiSlice {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface SpecViolation {
  /** Where: `body.events[0].id`, `query.page_size`, `path`, `method`, `header.content-type`. */
  at: string;
  message: string;
}

export type SpecVerdict =
  | { kind: 'outside' }
  | { kind: 'unknown-path' }
  | { kind: 'wrong-method'; allowed: string[] }
  | { kind: 'checked'; violations: SpecViolation[] };

const cache = new Map<string, OpenApiSlice>();

/** The slice kept for a vendor (`test/fixtures/vendor-specs/<vendor>/openapi.json`). */
export function loadSlice(vendor: string): OpenApiSlice {
  const cached = cache.get(vendor);
  if (cached) return cached;
  const slice = JSON.parse(readFileSync(join(resolveSpecRoot(), vendor, 'openapi.json'), 'utf8')) as OpenApiSlice;
  cache.set(vendor, slice);
  return slice;
}

/**
 * The nearest `test/fixtures/vendor-specs` above this file: the sources (vitest) and a bundle in
 * dist/ (the local host runs the built fakes) both find the repository's copy.
 */
function resolveSpecRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'fixtures', 'vendor-specs');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('test/fixtures/vendor-specs not found above the fakes');
  }
}

export interface SpecBinding {
  slice: OpenApiSlice;
  /**
   * Where the slice's paths sit on the fake's server (Halo's `/Webhook` is served at `/api/Webhook`).
   * Requests under the prefix must match an operation; requests elsewhere are not this slice's.
   */
  prefix: string;
  /** Vendors whose routing ignores case (ASP.NET: Halo, Autotask). */
  caseInsensitive?: boolean;
}

/** Checks one request against the slice. */
export function checkAgainstSpec(binding: SpecBinding, req: FakeRequest): SpecVerdict {
  const flags = binding.caseInsensitive ? 'i' : '';
  const prefix = binding.prefix.replace(/\/+$/, '');
  const under = binding.caseInsensitive ? req.path.toLowerCase() : req.path;
  if (!under.startsWith(binding.caseInsensitive ? prefix.toLowerCase() : prefix)) return { kind: 'outside' };
  const rest = req.path.slice(prefix.length) || '/';
  let allowed: string[] | undefined;
  for (const [template, operations] of Object.entries(binding.slice.paths)) {
    const names: string[] = [];
    const source = template
      .replace(/\/+$/, '')
      .split('/')
      .map((segment) => {
        const param = /^\{(.+)\}$/.exec(segment);
        if (param) {
          names.push(param[1]!);
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    const match = new RegExp(`^${source}/?$`, flags).exec(rest);
    if (!match) continue;
    const operation = operations[req.method.toLowerCase()];
    if (!operation) {
      allowed = [...(allowed ?? []), ...Object.keys(operations).map((m) => m.toUpperCase())];
      continue;
    }
    const pathValues = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1] ?? '')]));
    return { kind: 'checked', violations: checkOperation(binding.slice, operation, req, pathValues) };
  }
  return allowed ? { kind: 'wrong-method', allowed } : { kind: 'unknown-path' };
}

function checkOperation(
  slice: OpenApiSlice,
  operation: Operation,
  req: FakeRequest,
  pathValues: Record<string, string>,
): SpecViolation[] {
  const out: SpecViolation[] = [];
  for (const param of operation.parameters ?? []) {
    const raw =
      param.in === 'path'
        ? pathValues[param.name]
        : param.in === 'query'
          ? req.query[param.name]
          : param.in === 'header'
            ? req.headers[param.name.toLowerCase()]
            : undefined;
    const at = `${param.in}.${param.name}`;
    if (raw === undefined) {
      if (param.required || param.in === 'path') out.push({ at, message: 'is required' });
      continue;
    }
    if (param.schema) out.push(...checkValue(slice, param.schema, coerceParam(raw, param.schema), at));
  }
  const body = operation.requestBody;
  if (body) {
    const jsonType = Object.keys(body.content ?? {}).find((t) => t === 'application/json');
    const hasBody = req.body.trim() !== '';
    if (!hasBody) {
      if (body.required) out.push({ at: 'body', message: 'a request body is required' });
    } else if (jsonType) {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const accepted = Object.keys(body.content ?? {}).map((t) => t.toLowerCase());
      if (!accepted.includes(contentType)) {
        out.push({ at: 'header.content-type', message: `must be one of ${accepted.join(', ')}` });
      } else if (req.json === undefined) {
        out.push({ at: 'body', message: 'is not valid JSON' });
      } else {
        const schema = body.content?.[jsonType]?.schema;
        if (schema) out.push(...checkValue(slice, schema, req.json, 'body'));
      }
    }
  } else if (req.body.trim() !== '' && !['GET', 'DELETE', 'HEAD'].includes(req.method)) {
    out.push({ at: 'body', message: 'this operation takes no body' });
  }
  return out;
}

/** Query, path and header values arrive as text: numbers and booleans are read as the schema types them. */
function coerceParam(raw: string, schema: Schema): unknown {
  const type = normalType(schema.type);
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

/** Halo's description types some query parameters `int` and `bool`. */
function normalType(type: string | undefined): string | undefined {
  if (type === 'int') return 'integer';
  if (type === 'bool') return 'boolean';
  return type;
}

function resolveRef(slice: OpenApiSlice, ref: string): Schema {
  const name = decodeURIComponent(ref.replace(/^#\/components\/schemas\//, ''));
  const found = slice.components?.schemas?.[name];
  if (!found) throw new Error(`spec slice has no schema ${name}`);
  return found;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkValue(slice: OpenApiSlice, schema: Schema, value: unknown, at: string): SpecViolation[] {
  if (schema.$ref) return checkValue(slice, resolveRef(slice, schema.$ref), value, at);
  const out: SpecViolation[] = [];
  for (const part of schema.allOf ?? []) out.push(...checkValue(slice, part, value, at));
  if (value === null) {
    if (schema.nullable || schema.type === undefined) return out;
    return [...out, { at, message: 'must not be null' }];
  }
  const type = normalType(schema.type);
  const fail = (message: string) => out.push({ at, message });
  switch (type) {
    case 'string':
      if (typeof value !== 'string') {
        fail(`must be a string, got ${typeName(value)}`);
        return out;
      }
      if (schema.minLength !== undefined && value.length < schema.minLength)
        fail(`must be at least ${schema.minLength} characters`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        fail(`must be at most ${schema.maxLength} characters, got ${value.length}`);
      if (schema.format === 'uuid' && !UUID.test(value)) fail('must be a uuid');
      if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) fail('must be a date-time');
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        fail(`must be an integer, got ${typeName(value)}`);
        return out;
      }
      if (schema.format === 'int32' && (value > 2_147_483_647 || value < -2_147_483_648)) fail('must fit int32');
      break;
    case 'number':
      if (typeof value !== 'number') {
        fail(`must be a number, got ${typeName(value)}`);
        return out;
      }
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`must be a boolean, got ${typeName(value)}`);
      return out;
    case 'array':
      if (!Array.isArray(value)) {
        fail(`must be an array, got ${typeName(value)}`);
        return out;
      }
      if (schema.items) {
        const items = schema.items;
        value.forEach((item, i) => {
          out.push(...checkValue(slice, items, item, `${at}[${i}]`));
        });
      }
      return out;
    case 'object':
    case undefined:
      if (type === 'object' || schema.properties || schema.required) {
        if (typeof value !== 'object' || Array.isArray(value)) {
          fail(`must be an object, got ${typeName(value)}`);
          return out;
        }
        out.push(...checkObject(slice, schema, value as Record<string, unknown>, at));
      }
      break;
  }
  if (schema.enum && !schema.enum.includes(value)) fail(`must be one of ${schema.enum.map(String).join(', ')}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) fail(`must be ≥ ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) fail(`must be ≤ ${schema.maximum}`);
  }
  return out;
}

function checkObject(slice: OpenApiSlice, schema: Schema, value: Record<string, unknown>, at: string): SpecViolation[] {
  const out: SpecViolation[] = [];
  for (const name of schema.required ?? []) {
    if (value[name] === undefined) out.push({ at: `${at}.${name}`, message: 'is required' });
  }
  for (const [name, field] of Object.entries(value)) {
    const declared = schema.properties?.[name];
    if (declared) {
      out.push(...checkValue(slice, declared, field, `${at}.${name}`));
    } else if (schema.additionalProperties === false) {
      out.push({ at: `${at}.${name}`, message: 'is not a field of this schema (additionalProperties: false)' });
    } else if (typeof schema.additionalProperties === 'object') {
      out.push(...checkValue(slice, schema.additionalProperties, field, `${at}.${name}`));
    }
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

/** One line per violation, for error bodies and test failures. */
export function describeViolations(violations: SpecViolation[]): string {
  return violations.map((v) => `${v.at} ${v.message}`).join('; ');
}
