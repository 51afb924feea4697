import { createHmac, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { odata, TableServiceClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../shared/apikeys/scopes';
import { ERROR_CODES } from '../../shared/errors/codes';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { connectors } from '../../shared/vendors/registry';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { type CallResult, call } from '../support/http';
import { parseRawResponse } from '../support/raw-http';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * Every operation in the OpenAPI document, tried as an attacker would: missing, garbage, forged and
 * revoked keys, keys from the wrong plane or lacking just the route's scope, another tenant's real
 * ids and broken ids, hostile bodies, query strings and headers. Driven by the document, so a new
 * route is covered as soon as it is registered. Each answer must be a 4xx problem (never a 500)
 * with a code from the stable union, carry the security headers, echo no secret, and change nothing
 * (tenant A's table rows are counted before and after; tenant B's resources are read back).
 */

// ---------------------------------------------------------------------------------------------
// The OpenAPI document, reduced to what the cases need
// ---------------------------------------------------------------------------------------------

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  minimum?: number;
  maximum?: number;
  description?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema: JsonSchema;
}

interface Operation {
  method: string;
  path: string;
  operationId: string;
  scope: string | null;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body?: { schema: JsonSchema; required: boolean };
}

interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

interface RawOperation {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
}

let components: Record<string, JsonSchema> = {};
const resolve = (s: JsonSchema): JsonSchema =>
  s.$ref ? resolve(components[s.$ref.split('/').pop() ?? ''] ?? {}) : s.allOf?.length === 1 ? resolve(s.allOf[0]!) : s;

function operationsOf(doc: OpenApiDocument): Operation[] {
  components = doc.components?.schemas ?? {};
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    // The vendor-facing routes under /hooks/ take no API key and answer 404 before reading a body
    // for an unknown id; their own cases are below ("Anonymous vendor deliveries").
    if (path.startsWith('/hooks/')) continue;
    for (const [method, raw] of Object.entries(methods)) {
      const params = raw.parameters ?? [];
      const json = raw.requestBody?.content['application/json'];
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: raw.operationId,
        scope: raw.security?.[0]?.apiKey?.[0] ?? null,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        ...(json ? { body: { schema: resolve(json.schema), required: raw.requestBody?.required === true } } : {}),
      });
    }
  }
  return out;
}

/** Display text (names, descriptions) is the text that must refuse control and bidi characters. */
const isDisplayText = (s: JsonSchema) => /no control or bidirectional-override characters/.test(s.description ?? '');
const typeOf = (s: JsonSchema) => (Array.isArray(s.type) ? s.type[0] : s.type);

/** A value the schema accepts, for the shapes the API uses; per-operation overrides fill the rest. */
function sample(schemaIn: JsonSchema, name = ''): unknown {
  const s = resolve(schemaIn);
  if (s.enum?.length) return s.enum[0];
  if (s.anyOf?.length) return sample(s.anyOf[0]!, name);
  if (s.oneOf?.length) return sample(s.oneOf[0]!, name);
  switch (typeOf(s)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(s.properties ?? {})) {
        if (s.required?.includes(key) || isDisplayText(resolve(prop))) out[key] = sample(prop, key);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => sample(s.items ?? {}, name));
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return false;
    case 'string':
      if (s.format === 'date-time') return new Date().toISOString();
      if (s.format === 'uri') return 'https://example.com/hook';
      if (s.pattern && new RegExp(s.pattern).test('0'.repeat(26))) return '0'.repeat(26);
      return isDisplayText(s) ? `Hostile ${name}` : 'a'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return 'a';
  }
}

/** Bodies the generic sample cannot know (cross-field rules, catalogues of tools and event types). */
const BODY_OVERRIDES: Record<string, Record<string, unknown>> = {
  createSubscription: { url: 'https://example.com/hook', eventTypes: ['*'] },
  updateSubscription: { description: 'Hostile description' },
  createSop: sopBody(),
  replaceSop: sopBody(),
  onboardGdapCustomers: { customers: [{ tenantId: '00000000-0000-0000-0000-000000000001' }] },
  retryFailedDeliveries: {
    subscriptionId: '0'.repeat(26),
    from: '2020-01-01T00:00:00Z',
    to: '2020-01-02T00:00:00Z',
  },
};

function sopBody(): Record<string, unknown> {
  return {
    name: 'Hostile SOP',
    description: 'Hostile description',
    match: { source: 'autotask', eventTypes: ['ticket.created'], keywords: ['disk_full'] },
    steps: [{ tool: 'autotask.ticket.add_note', args: { ticketId: '1', description: 'x' } }],
  };
}

const validBody = (op: Operation): Record<string, unknown> =>
  BODY_OVERRIDES[op.operationId] ?? (sample(op.body?.schema ?? {}) as Record<string, unknown>);

// ---------------------------------------------------------------------------------------------
// The host, the tenants and what the checks compare against
// ---------------------------------------------------------------------------------------------

/** Operations per victim and per revoked key: under the per-key-id failed-auth limit (10 a minute). */
const OPS_PER_VICTIM = 8;
const operatorKey = `op-${randomBytes(24).toString('hex')}`;
const forgedSecret = 'A'.repeat(43);
const secrets = new Set<string>([operatorKey]);
const KNOWN_CODES = new Set<string>(ERROR_CODES);
const SAFE_CORRELATION = /^[A-Za-z0-9._:-]{1,128}$/;
/** Codes for a request whose shape (body, query) is wrong: anything else means it got through. */
const SHAPE_CODES = new Set([
  'validation_failed',
  'unknown_field',
  'malformed_json',
  'body_required',
  'unsupported_media_type',
  'payload_too_large',
  'json_too_deep',
  'invalid_cursor',
  // An expiry in the past: checked by the key service before anything is written.
  'invalid_expiry',
]);

let host: HostProcess;
let receiver: Receiver;
let operations: Operation[] = [];

interface TenantKeys {
  id: string;
  admin: { id: string; key: string };
}
let tenantA: TenantKeys;
let tenantB: TenantKeys;
/** Tenant A keys holding every scope except the one named (admin implies all, so never held). */
const allButKeys = new Map<string, string>();
/** Keys whose ids forged keys name, and revoked keys: each takes a few operations (per-key-id throttle). */
const victimIds: string[] = [];
const revokedKeys: string[] = [];
/** Tenant B's real ids by the path segment naming the resource kind. */
const bIds: Record<string, string> = {};
/** Tenant B's resources as read back before the attack (path → JSON). */
const bBefore = new Map<string, Record<string, unknown>>();

function addSecret(value: unknown): void {
  if (typeof value === 'string' && value.length >= 8) secrets.add(value);
}
function addKey(key: string): void {
  addSecret(key);
  addSecret(key.slice('mhk_'.length + 27));
}

async function api(key: string, method: string, path: string, body?: unknown): Promise<CallResult> {
  return call(host.baseUrl, method, `/api${path}`, { key, ...(body !== undefined ? { body } : {}) });
}

async function created(key: string, path: string, body: unknown, status = 201): Promise<Record<string, unknown>> {
  const res = await api(key, 'POST', path, body);
  expect(res.status, `${path}: ${res.text}`).toBe(status);
  return res.json;
}

async function newTenant(name: string): Promise<TenantKeys> {
  const t = await created(operatorKey, '/v1/tenants', { name });
  const admin = t.adminKey as { id: string; key: string };
  addKey(admin.key);
  return { id: String(t.id), admin: { id: admin.id, key: admin.key } };
}

async function newKey(owner: TenantKeys, scopes: string[]): Promise<{ id: string; key: string }> {
  const k = await created(owner.admin.key, '/v1/api-keys', { name: 'hostile test', scopes });
  addKey(String(k.key));
  return { id: String(k.id), key: String(k.key) };
}

/** Every row of tenant A's partitions (PartitionKey = tenant id or `tenant|…`), per table. */
async function tenantRows(tenantId: string): Promise<Map<string, number>> {
  const connection = process.env.TEST_STORAGE_CONNECTION!;
  const account = storageAccountFromConnectionString(connection);
  const service = TableServiceClient.fromConnectionString(connection, { allowInsecureConnection: true });
  const names: string[] = [];
  for await (const t of service.listTables()) if (t.name) names.push(t.name);
  const counts = new Map<string, number>();
  // The suite's Azurite holds every test file's tables; a few queries at a time.
  await pool(names, 8, async (name) => {
    let n = 0;
    const rows = account.table(name).listEntities({
      queryOptions: {
        filter: odata`PartitionKey ge ${tenantId} and PartitionKey lt ${`${tenantId}~`}`,
        select: ['PartitionKey'],
      },
    });
    for await (const _ of rows) n++;
    if (n > 0) counts.set(name, n);
  });
  return counts;
}

/** Kinds whose state moves on by itself (a pipeline run, delivery attempts): only their existence is compared. */
const MOVING_KINDS = new Set(['events', 'deliveries']);

/** What of a resource no request in the attack may change; background work may change the rest. */
function stable(kind: string, resource: Record<string, unknown>): Record<string, unknown> {
  if (MOVING_KINDS.has(kind)) return { id: resource.id };
  const { health: _h, status: _s, updatedAt: _u, ...rest } = resource;
  return rest;
}

beforeAll(async () => {
  receiver = await startReceiver();
  host = await startHostProcess(
    sharedAzuriteEnv({
      OPERATOR_API_KEY: operatorKey,
      LOCAL_TIMERS: 'manual',
      // Hundreds of requests per key in well under a minute; the rate limit is not under test here.
      API_RATE_LIMIT_PER_MINUTE: '1000000',
    }),
  );
  const doc = await call(host.baseUrl, 'GET', '/api/v1/openapi.json');
  expect(doc.status).toBe(200);
  operations = operationsOf(doc.json as unknown as OpenApiDocument);

  tenantA = await newTenant('Hostile A');
  tenantB = await newTenant('Hostile B');

  // Tenant A: one key per required tenant scope lacking exactly that scope; victims; revoked keys.
  const required = [...new Set(operations.map((o) => o.scope).filter((s): s is string => !!s && s !== 'operator'))];
  const chunks = Math.ceil(operations.length / OPS_PER_VICTIM);
  await Promise.all([
    ...required.map(async (scope) => {
      const scopes = SCOPES.filter((s) => s !== scope && s !== 'admin');
      allButKeys.set(scope, (await newKey(tenantA, scopes)).key);
    }),
    ...Array.from({ length: chunks }, async () => victimIds.push((await newKey(tenantA, ['events:read'])).id)),
    ...Array.from({ length: chunks }, async () => {
      const k = await newKey(tenantA, ['events:read']);
      expect((await api(tenantA.admin.key, 'DELETE', `/v1/api-keys/${k.id}`)).status).toBe(200);
      revokedKeys.push(k.key);
    }),
  ]);

  // Tenant B: one resource of each kind that is cheap to make.
  const b = tenantB.admin.key;
  bIds['api-keys'] = (await newKey(tenantB, ['events:read'])).id;
  const credentials = Object.fromEntries(
    connectors.autotask.catalog.credentialFields.map((f) => [f.name, `${f.name}-${randomBytes(12).toString('hex')}`]),
  );
  for (const f of connectors.autotask.catalog.credentialFields) if (f.secret) addSecret(credentials[f.name]);
  const integration = await created(b, '/v1/integrations?skipTest=true', {
    vendor: 'autotask',
    name: 'B autotask',
    credentials,
    config: { baseUrl: 'http://127.0.0.1:9' },
  });
  bIds.integrations = String(integration.id);
  const webhook = await created(b, '/v1/webhooks', { name: 'B generic' });
  addSecret(webhook.secret);
  bIds.webhooks = String(webhook.id);
  const subscription = await created(b, '/v1/subscriptions', { url: receiver.url, eventTypes: ['*'] });
  addSecret(subscription.secret);
  bIds.subscriptions = String(subscription.id);
  bIds.sops = String((await created(b, '/v1/sops', sopBody())).id);
  const body = JSON.stringify({ type: 'alert.triggered', subject: 'hostile test' });
  const delivered = await call(host.baseUrl, 'POST', `/api/hooks/${bIds.webhooks}`, {
    rawBody: body,
    headers: {
      'content-type': 'application/json',
      'x-webhook-signature': `sha256=${createHmac('sha256', String(webhook.secret)).update(body).digest('hex')}`,
    },
  });
  expect(delivered.status, delivered.text).toBe(202);
  bIds.events = String(delivered.json.eventId);
  await created(b, '/v1/events/publish', { type: 'ticket.created', data: { ticketId: '1', title: 'hostile' } }, 202);
  const deliveries = await api(b, 'GET', '/v1/deliveries');
  // publish writes the delivery row before it answers.
  const delivery = (deliveries.json.items as Array<{ id: string }> | undefined)?.[0];
  expect(delivery, deliveries.text).toBeDefined();
  bIds.deliveries = String(delivery?.id);

  for (const [kind, id] of Object.entries(bIds)) {
    const res = await api(b, 'GET', `/v1/${kind}/${id}`);
    expect(res.status, `${kind}: ${res.text}`).toBe(200);
    bBefore.set(`/v1/${kind}/${id}`, stable(kind, res.json));
  }
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await receiver?.close();
});

// ---------------------------------------------------------------------------------------------
// Sending and the checks every answer passes
// ---------------------------------------------------------------------------------------------

interface Case {
  op: Operation;
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  key?: string;
  body?: string | Buffer;
  from?: string;
  /** Allowed statuses; default any 4xx. */
  status?: number[];
  codes?: string[];
  /** Raw header lines (CRLF attempts, duplicates) sent over a bare socket. */
  rawHeaders?: string[];
  check?: (res: Answer) => string | undefined;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: Record<string, unknown>;
}

const outcomes = new Map<number, number>();
const failures: string[] = [];
let requests = 0;

async function sendRaw(c: Case, headerLines: string[]): Promise<Answer> {
  const url = new URL(host.baseUrl);
  const body = c.body === undefined ? Buffer.alloc(0) : Buffer.from(c.body);
  const head = [
    `${c.method ?? c.op.method} /api${c.path} HTTP/1.1`,
    `Host: ${url.host}`,
    'Connection: close',
    `Content-Length: ${body.length}`,
    ...headerLines,
    '',
    '',
  ].join('\r\n');
  // Written, never half-closed (Node drops a request whose client ends its side); the server
  // closes after answering (Connection: close).
  const raw = await new Promise<Buffer>((resolveRaw, reject) => {
    const socket = connect({ port: Number(url.port), host: '127.0.0.1', ...(c.from ? { localAddress: c.from } : {}) });
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolveRaw(Buffer.concat(chunks)));
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer in 15 s')));
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
  const parsed = parseRawResponse(raw, false);
  return { status: parsed.status ?? 0, headers: parsed.headers, text: parsed.body, json: parsed.json };
}

async function send(c: Case): Promise<void> {
  let res: Answer;
  try {
    if (c.rawHeaders) {
      res = await sendRaw(c, c.rawHeaders);
    } else {
      const r = await call(host.baseUrl, c.method ?? c.op.method, `/api${c.path}`, {
        ...(c.key ? { key: c.key } : {}),
        ...(c.body !== undefined ? { rawBody: c.body } : {}),
        headers: c.headers ?? {},
        ...(c.from ? { from: c.from } : {}),
      });
      res = { status: r.status, headers: Object.fromEntries(r.headers.entries()), text: r.text, json: r.json };
    }
  } catch (error) {
    failures.push(`${c.op.operationId} [${c.name}]: no answer (${(error as Error).message})`);
    return;
  }
  requests++;
  outcomes.set(res.status, (outcomes.get(res.status) ?? 0) + 1);
  const problems: string[] = [];
  if (c.status ? !c.status.includes(res.status) : res.status < 400 || res.status >= 500) {
    problems.push(`status ${res.status}, expected ${c.status?.join('|') ?? '4xx'}`);
  }
  const code = typeof res.json.code === 'string' ? res.json.code : undefined;
  if (c.codes && !(code && c.codes.includes(code))) problems.push(`code ${code}, expected ${c.codes.join('|')}`);
  if (res.headers['cache-control'] !== 'no-store') problems.push(`Cache-Control ${res.headers['cache-control']}`);
  if (res.headers['x-content-type-options'] !== 'nosniff') problems.push('no X-Content-Type-Options: nosniff');
  if (!SAFE_CORRELATION.test(res.headers['x-correlation-id'] ?? '')) problems.push('unsafe or missing correlation id');
  if (res.status >= 400) {
    if (!res.headers['content-type']?.startsWith('application/problem+json')) problems.push('not problem+json');
    if (!code || !KNOWN_CODES.has(code)) problems.push(`code ${code} not in the stable union`);
    if (res.json.status !== res.status) problems.push('problem status differs from the HTTP status');
  }
  const everything = `${JSON.stringify(res.headers)}\n${res.text}`;
  for (const secret of secrets) if (everything.includes(secret)) problems.push('a secret is in the response');
  const extra = c.check?.(res);
  if (extra) problems.push(extra);
  if (problems.length > 0) {
    failures.push(
      `${c.op.operationId} ${c.method ?? c.op.method} ${c.path.slice(0, 120)} [${c.name}]: ${problems.join('; ')} — ${res.text.slice(0, 300)}`,
    );
  }
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

const resourceOf = (op: Operation) => op.path.split('/')[2] ?? '';
const isOperator = (op: Operation) => op.scope === 'operator';
/** The key that is allowed in: tenant A's admin key, or the operator key for operator routes. */
const goodKey = (op: Operation) => (isOperator(op) ? operatorKey : tenantA.admin.key);

/** A well-formed id for a parameter: tenant B's real one when there is one (A must not see it). */
function idFor(op: Operation, param: Parameter): string {
  const real = isOperator(op) ? undefined : bIds[resourceOf(op)];
  if (real) return real;
  return String(sample(param.schema));
}

function pathWith(op: Operation, values: Record<string, string> = {}): string {
  let path = op.path;
  for (const p of op.pathParams) path = path.replace(`{${p.name}}`, values[p.name] ?? encodeURIComponent(idFor(op, p)));
  return path;
}

/**
 * The path for a request whose key is good but must not act: a non-GET one carries an unknown query
 * parameter, so it stops at validation (a bodiless action such as the operator's re-encryption
 * would otherwise run, on storage other test files share).
 */
const inert = (op: Operation) => (op.method === 'GET' ? pathWith(op) : `${pathWith(op)}?zzInert=1`);

/** A loopback source address of its own per operation, so the per-address failed-auth throttle never trips. */
const addressOf = (index: number) => `127.0.${1 + Math.floor(index / 250)}.${2 + (index % 250)}`;

function authCases(op: Operation, index: number): Case[] {
  if (!op.scope) return [];
  const from = addressOf(index);
  const path = pathWith(op);
  const victim = victimIds[Math.floor(index / OPS_PER_VICTIM)]!;
  const revoked = revokedKeys[Math.floor(index / OPS_PER_VICTIM)]!;
  const cases: Case[] = [
    { op, name: 'no key', path, from, status: [401], codes: ['api_key_missing'] },
    { op, name: 'garbage key', path, from, key: 'garbage-key', status: [401], codes: ['api_key_invalid'] },
    {
      op,
      name: 'forged key',
      path,
      from,
      key: `mhk_${victim}_${forgedSecret}`,
      status: [401],
      codes: ['api_key_invalid'],
    },
    { op, name: 'revoked key', path, from, key: revoked, status: [401], codes: ['api_key_revoked'] },
    {
      op,
      name: 'garbage x-api-key',
      path,
      from,
      headers: { 'x-api-key': 'not-a-key\tat-all' },
      status: [401],
      codes: ['api_key_invalid'],
    },
    {
      op,
      name: 'oversized bearer',
      path,
      from,
      key: `mhk_${victim}_${'A'.repeat(8000)}`,
      status: [401],
      codes: ['api_key_invalid'],
    },
    {
      op,
      name: 'duplicate authorization (bad first)',
      path: inert(op),
      from,
      rawHeaders: ['Authorization: Bearer garbage', `Authorization: Bearer ${goodKey(op)}`],
      status: [200, 201, 202, 400, 401, 404, 409, 415, 422],
    },
    {
      op,
      name: 'duplicate authorization (good first)',
      path: inert(op),
      from,
      rawHeaders: [`Authorization: Bearer ${goodKey(op)}`, 'Authorization: Bearer garbage'],
      status: [200, 201, 202, 400, 401, 404, 409, 415, 422],
    },
  ];
  if (isOperator(op)) {
    cases.push({
      op,
      name: 'tenant admin key',
      path,
      key: tenantA.admin.key,
      status: [403],
      codes: ['insufficient_scope'],
    });
  } else {
    cases.push({ op, name: 'operator key', path, key: operatorKey, status: [403], codes: ['insufficient_scope'] });
    const allBut = allButKeys.get(op.scope);
    if (allBut)
      cases.push({ op, name: 'every scope but this', path, key: allBut, status: [403], codes: ['insufficient_scope'] });
  }
  return cases;
}

const HOSTILE_IDS: Record<string, string> = {
  'not an id': 'not-an-id',
  'bad escape': '%zz',
  'dot-dot slash': '..%2f..%2fapi-keys',
  'dot-dot backslash': '..%5c..%5cx',
  'very long': 'x'.repeat(3000),
  unicode: encodeURIComponent('ünïcødé☃🙂'),
  'odata quote': "a'or'1'eq'1",
  'null byte': 'a%00b',
  'hash and question mark': 'a%23b%3Fc',
  'CRLF header injection': 'a%0d%0aSet-Cookie:%20x=1',
  'bidi override': '%e2%80%aeab',
  'overlong UTF-8': '%c0%af',
};

function pathCases(op: Operation): Case[] {
  if (op.pathParams.length === 0) return [];
  const key = goodKey(op);
  // No body: an id that passes stops at body_required (or, for an optional body, at the lookup).
  const headers: Record<string, string> = op.body ? { 'content-type': 'application/json' } : {};
  const cases: Case[] = Object.entries(HOSTILE_IDS).map(([name, value]) => ({
    op,
    name: `id: ${name}`,
    path: pathWith(op, Object.fromEntries(op.pathParams.map((p) => [p.name, value]))),
    key,
    headers,
    status: [400, 404],
    check: (r: Answer) => (r.headers['set-cookie'] ? 'a header was injected' : undefined),
  }));
  if (!isOperator(op) && bIds[resourceOf(op)]) {
    const withBody = op.body ? JSON.stringify(validBody(op)) : undefined;
    cases.push({
      op,
      name: "another tenant's real id",
      path: pathWith(op),
      key,
      ...(withBody ? { body: withBody, headers: { 'content-type': 'application/json' } } : {}),
      status: [404],
    });
  }
  return cases;
}

const DEPTH = 10_000;

function bodyCases(op: Operation): Case[] {
  if (!op.body) return [];
  const key = goodKey(op);
  const path = pathWith(op);
  const json = { 'content-type': 'application/json' };
  const base = validBody(op);
  const props = Object.entries(op.body.schema.properties ?? {}).map(([name, s]) => [name, resolve(s)] as const);
  const firstString = props.find(([, s]) => typeOf(s) === 'string')?.[0] ?? props[0]?.[0] ?? 'name';
  const openObject = props.find(([, s]) => typeOf(s) === 'object' && !s.properties)?.[0];
  const deep = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
  const c = (name: string, body: string, codes: string[], headers: Record<string, string> = json): Case => ({
    op,
    name,
    path,
    key,
    headers,
    body,
    codes,
  });
  const cases: Case[] = [
    c('malformed JSON', '{"name": ', ['malformed_json']),
    c('wrong content type', JSON.stringify(base), ['unsupported_media_type'], { 'content-type': 'text/plain' }),
    c('a JSON array', JSON.stringify([base]), ['validation_failed']),
    c('JSON null', 'null', ['validation_failed']),
    c('deeply nested JSON', `{${JSON.stringify(openObject ?? firstString)}:${openObject ? `{"x":${deep}}` : deep}}`, [
      'json_too_deep',
    ]),
    c('300 KB string', JSON.stringify({ ...base, [firstString]: 'x'.repeat(300 * 1024) }), ['payload_too_large']),
    c('unknown field', JSON.stringify({ ...base, zzUnknownField: 1 }), ['unknown_field']),
  ];
  if (op.body.required) cases.push(c('empty body', '', ['body_required']));
  for (const [name, s] of props) {
    if (isDisplayText(s)) {
      cases.push(
        c(`control character in ${name}`, JSON.stringify({ ...base, [name]: 'Bad\u0007name' }), ['validation_failed']),
      );
      cases.push(
        c(`bidi override in ${name}`, JSON.stringify({ ...base, [name]: 'Bad\u202ename' }), ['validation_failed']),
      );
    }
  }
  for (const [name, s] of props) {
    if (s.format === 'date-time') {
      cases.push(
        c(`${name} in year 1`, JSON.stringify({ ...base, [name]: '0001-01-01T00:00:00Z' }), [
          'validation_failed',
          'invalid_expiry',
        ]),
      );
    }
  }
  // Ids in bodies end up as storage keys too: path characters there must not reach a lookup. A bulk
  // operation may answer 200 with a problem per item; then every item must be one.
  const allItemsRefused = (r: Answer) => {
    if (r.status !== 200) return undefined;
    const items = r.json.items;
    const refused = Array.isArray(items) && items.every((i: { status?: number }) => (i.status ?? 0) >= 400);
    return refused ? undefined : 'an item with a hostile id was accepted';
  };
  for (const [name, s] of props) {
    if (!/Ids?$/.test(name)) continue;
    const hostile = typeOf(s) === 'array' ? ['../x', 'a#b'] : '../x?y';
    cases.push({
      ...c(`path characters in ${name}`, JSON.stringify({ ...base, [name]: hostile }), []),
      codes: undefined,
      status: [200, 400, 404, 422],
      check: allItemsRefused,
    });
  }
  const [wrongName, wrongSchema] = props.find(([, s]) => typeOf(s) === 'string') ?? props[0] ?? [];
  if (wrongName && wrongSchema) {
    const wrong = typeOf(wrongSchema) === 'string' ? 12345 : 'not-the-right-type';
    cases.push(c(`wrong type in ${wrongName}`, JSON.stringify({ ...base, [wrongName]: wrong }), ['validation_failed']));
  }
  // Whatever the case, nothing past validation: a code outside the shape codes means it got through.
  for (const k of cases) {
    if (k.codes) k.check = (r) => (SHAPE_CODES.has(String(r.json.code)) ? undefined : 'got past validation');
  }
  return cases;
}

/** A value the parameter refuses, or undefined when any string is fine. */
function badValue(s: JsonSchema): string | undefined {
  if (s.enum?.length) return 'zz-not-listed';
  if (s.pattern) return 'bad!';
  if (s.format === 'date-time') return 'yesterday';
  const t = typeOf(s);
  if (t === 'integer' || t === 'number') return 'abc';
  if (s.maxLength !== undefined) return 'x'.repeat(s.maxLength + 1);
  return undefined;
}

function queryCases(op: Operation): Case[] {
  const key = op.scope ? goodKey(op) : undefined;
  const path = pathWith(op);
  const codes = ['validation_failed', 'unknown_field', 'invalid_cursor'];
  const q = (name: string, query: string): Case => ({
    op,
    name,
    path: `${path}?${query}`,
    ...(key ? { key } : {}),
    status: [400],
    codes,
  });
  const cases: Case[] = [q('unknown parameter', 'zzUnknown=1')];
  const names = new Set(op.queryParams.map((p) => p.name));
  if (names.has('limit')) {
    for (const v of ['0', '-1', 'abc', '99999', '1e3', '']) cases.push(q(`limit=${v}`, `limit=${v}`));
  }
  if (names.has('cursor')) {
    const forged = Buffer.from(JSON.stringify({ pk: tenantB.id, rk: '0' })).toString('base64url');
    cases.push(q('forged cursor', `cursor=${forged}`));
    cases.push(q('garbled cursor', 'cursor=%25%25not*a*cursor'));
    cases.push(q('oversized cursor', `cursor=${'x'.repeat(5000)}`));
  }
  const first = op.queryParams[0];
  if (first) {
    const ok = first.name === 'limit' ? '1' : String(sample(first.schema));
    cases.push(
      q(`repeated ${first.name}`, `${first.name}=${encodeURIComponent(ok)}&${first.name}=${encodeURIComponent(ok)}`),
    );
  }
  // Instants the time keys cannot represent, and a range of decades (one partition read per day).
  const times = op.queryParams.filter((p) => resolve(p.schema).format === 'date-time').map((p) => p.name);
  for (const name of times.slice(0, 1)) {
    cases.push(q(`${name} in year 1`, `${name}=0001-01-01T00:00:00Z`));
    cases.push(q(`${name} in year 9999`, `${name}=9999-12-31T00:00:00Z`));
  }
  if (names.has('from') && names.has('to')) {
    cases.push(q('a range of decades', `from=1971-01-01T00:00:00Z&to=${encodeURIComponent(new Date().toISOString())}`));
  }
  for (const p of op.queryParams.slice(0, 6)) {
    if (p.name === 'limit' || p.name === 'cursor') continue;
    const bad = badValue(resolve(p.schema));
    if (bad !== undefined) cases.push(q(`bad ${p.name}`, `${p.name}=${encodeURIComponent(bad)}`));
  }
  return cases;
}

function headerCases(op: Operation, index: number): Case[] {
  const key = op.scope ? goodKey(op) : undefined;
  const auth = key ? [`Authorization: Bearer ${key}`] : [];
  const path = inert(op);
  const notEchoed = (sent: string) => (r: Answer) =>
    r.headers['x-correlation-id'] === sent ? 'the correlation id was echoed as sent' : undefined;
  const huge = `c${'x'.repeat(8000)}`;
  const anything = [200, 201, 202, 400, 404, 409, 413, 415, 422];
  return [
    {
      op,
      name: 'huge correlation id',
      path,
      ...(key ? { key } : {}),
      headers: { 'x-correlation-id': huge },
      status: anything,
      check: notEchoed(huge),
    },
    {
      op,
      name: 'encoded CRLF in correlation id',
      path,
      from: addressOf(index),
      rawHeaders: [...auth, 'X-Correlation-Id: abc%0d%0aSet-Cookie:%20x=1'],
      status: anything,
      check: (r) => (r.headers['set-cookie'] ? 'a header was injected' : notEchoed('abc%0d%0aSet-Cookie:%20x=1')(r)),
    },
    {
      op,
      name: 'bare CR in a header value',
      path,
      from: addressOf(index),
      rawHeaders: [...auth, 'X-Correlation-Id: abc\rSet-Cookie: x=1'],
      status: [400, ...anything],
      check: (r) => (r.headers['set-cookie'] ? 'a header was injected' : undefined),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

describe('every API operation against an attacker', () => {
  it('answers every hostile request with a safe 4xx problem and changes nothing', async () => {
    expect(operations.length).toBeGreaterThan(40);
    expect(Object.keys(bIds).sort()).toEqual(
      ['api-keys', 'deliveries', 'events', 'integrations', 'sops', 'subscriptions', 'webhooks'].sort(),
    );
    expect(bBefore.size).toBe(Object.keys(bIds).length);
    const rowsBefore = await tenantRows(tenantA.id);
    // The keys made for the attack are there, so an empty count cannot pass for "unchanged".
    expect(rowsBefore.get('apikeys')).toBeGreaterThan(allButKeys.size);
    const perOperation = operations.map((op, index) => [
      ...authCases(op, index),
      ...pathCases(op),
      ...bodyCases(op),
      ...queryCases(op),
      ...headerCases(op, index),
    ]);
    const all = perOperation.flat();
    await pool(all, 6, send);

    // Anonymous vendor deliveries: unknown ids, oversize bodies, missing and forged signatures.
    const hook = { operationId: 'receiveHook', method: 'POST', path: '/hooks/{webhookId}', scope: null } as Operation;
    const hookBody = JSON.stringify({ type: 'alert.triggered', subject: 'x' });
    const hookCases: Case[] = [
      {
        op: hook,
        name: 'unknown id',
        path: '/hooks/wh_unknownunknownunknown00',
        body: hookBody,
        status: [404],
        codes: ['webhook_not_found'],
      },
      ...Object.entries(HOSTILE_IDS).map(([name, value]) => ({
        op: hook,
        name: `id: ${name}`,
        path: `/hooks/${value}`,
        body: hookBody,
        status: [400, 404],
      })),
      {
        op: hook,
        name: 'oversize body',
        path: `/hooks/${bIds.webhooks}`,
        body: `{"pad":"${'x'.repeat(1024 * 1024 + 10)}"}`,
        headers: { 'content-type': 'application/json' },
        status: [413],
        codes: ['payload_too_large'],
      },
      {
        op: hook,
        name: 'no signature',
        path: `/hooks/${bIds.webhooks}`,
        body: hookBody,
        headers: { 'content-type': 'application/json' },
        status: [401],
        codes: ['signature_missing'],
      },
      {
        op: hook,
        name: 'forged signature',
        path: `/hooks/${bIds.webhooks}`,
        body: hookBody,
        headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${'0'.repeat(64)}` },
        status: [401],
        codes: ['signature_invalid'],
      },
      {
        op: hook,
        name: 'forged standard-webhooks signature',
        path: `/hooks/${bIds.webhooks}`,
        body: hookBody,
        headers: {
          'webhook-id': 'm1',
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
        },
        status: [401],
        codes: ['signature_invalid'],
      },
      // Dot segments never reach this route: URL parsing resolves them (in Azure too) to the receive route.
      ...['a', 'not-a-token', 'x'.repeat(2000)].map((token) => ({
        op: { ...hook, operationId: 'receiveVendorDeactivation' },
        name: `deactivation callout, forged token ${token.slice(0, 8)}`,
        path: `/hooks/${bIds.webhooks}/deactivated/${token}`,
        body: '{"Action":"Deactivated"}',
        headers: { 'content-type': 'application/json' },
        status: [404],
        codes: ['webhook_not_found'],
      })),
    ];
    await pool(hookCases, 4, send);

    const rowsAfter = await tenantRows(tenantA.id);
    const bAfter = new Map<string, Record<string, unknown>>();
    for (const path of bBefore.keys()) {
      const res = await api(tenantB.admin.key, 'GET', path);
      if (res.status === 200) bAfter.set(path, stable(path.split('/')[2] ?? '', res.json));
    }

    const total = all.length + hookCases.length;
    const byStatus = [...outcomes.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    console.log(
      `hostile routes: ${operations.length} operations (+ hooks receive), ${total} cases, ${requests} answered; by status: ${byStatus}`,
    );
    expect(failures).toEqual([]);
    expect(Object.fromEntries(rowsAfter)).toEqual(Object.fromEntries(rowsBefore));
    expect(Object.fromEntries(bAfter)).toEqual(Object.fromEntries(bBefore));
    expect(host.child.exitCode).toBeNull();
  }, 180_000);
});
