import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The API reference page, rendered on the server from the OpenAPI document (docs/decisions.md §53):
 * complete HTML on arrival — no "Loading…", nothing from a CDN, readable with scripts off. It shows
 * how to authenticate (from the document's security scheme), every operation with its full path
 * under the server URL (`/api/…`), grouped by tag with a navigation column, and every schema once,
 * with `$ref`s as links to it.
 *
 * Its Content-Security-Policy allows exactly the page's own inline style and script (by SHA-256
 * hash) and nothing else: no fetches, no other script, no frames, no forms, so text from the API
 * document can never run as code even if escaping had a gap. The one script filters the
 * navigation and the operations as the reader types.
 */
export interface ReferencePage {
  html: string;
  contentSecurityPolicy: string;
}

/** The parts of an OpenAPI 3.1 document the page reads; anything else is ignored. */
interface SchemaView {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  items?: SchemaView;
  properties?: Record<string, SchemaView>;
  required?: string[];
  additionalProperties?: boolean | SchemaView;
  anyOf?: SchemaView[];
  oneOf?: SchemaView[];
  allOf?: SchemaView[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
}

const schemaView: z.ZodType<SchemaView> = z.lazy(() =>
  z.looseObject({
    $ref: z.string().optional(),
    type: z.union([z.string(), z.array(z.string())]).optional(),
    format: z.string().optional(),
    description: z.string().optional(),
    enum: z.array(z.unknown()).optional(),
    const: z.unknown().optional(),
    default: z.unknown().optional(),
    items: schemaView.optional(),
    properties: z.record(z.string(), schemaView).optional(),
    required: z.array(z.string()).optional(),
    additionalProperties: z.union([z.boolean(), schemaView]).optional(),
    anyOf: z.array(schemaView).optional(),
    oneOf: z.array(schemaView).optional(),
    allOf: z.array(schemaView).optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    minLength: z.number().optional(),
    maxLength: z.number().optional(),
    minItems: z.number().optional(),
    maxItems: z.number().optional(),
    pattern: z.string().optional(),
  }),
);

const mediaView = z.looseObject({ schema: schemaView.optional() });
const contentView = z.record(z.string(), mediaView).optional();

const operationView = z.looseObject({
  operationId: z.string().optional(),
  summary: z.string().optional(),
  description: z.string().optional(),
  tags: z.array(z.string()).optional(),
  security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
  parameters: z
    .array(
      z.looseObject({
        name: z.string(),
        in: z.string(),
        required: z.boolean().optional(),
        description: z.string().optional(),
        schema: schemaView.optional(),
      }),
    )
    .optional(),
  requestBody: z.looseObject({ required: z.boolean().optional(), content: contentView }).optional(),
  responses: z
    .record(z.string(), z.looseObject({ description: z.string().optional(), content: contentView }))
    .optional(),
});
type OperationView = z.infer<typeof operationView>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const documentView = z.looseObject({
  info: z.looseObject({ title: z.string(), version: z.string(), description: z.string().optional() }),
  servers: z.array(z.looseObject({ url: z.string() })).optional(),
  paths: z.record(z.string(), z.partialRecord(z.enum(METHODS), operationView)).optional(),
  components: z
    .looseObject({
      schemas: z.record(z.string(), schemaView).optional(),
      securitySchemes: z
        .record(
          z.string(),
          z.looseObject({ type: z.string(), scheme: z.string().optional(), description: z.string().optional() }),
        )
        .optional(),
    })
    .optional(),
});
type DocumentView = z.infer<typeof documentView>;

interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  op: OperationView;
  anchor: string;
}

const hashSource = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** `document` is the API's own OpenAPI document (openApiDocument); `openApiUrl` is where it is served. */
export function referencePage(document: unknown, openApiUrl: string): ReferencePage {
  const doc = documentView.parse(document);
  const style = PAGE_STYLE;
  const script = PAGE_SCRIPT;
  const html = pageHtml(doc, openApiUrl, style, script);
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${hashSource(script)}`,
    `style-src ${hashSource(style)}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Inline `code` spans of the document's Markdown-ish descriptions; everything else stays text. */
function prose(text: string | undefined): string {
  if (!text) return '';
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** The path part of the server URL (`/api`), so operations read as the URL a client calls. */
function basePath(doc: DocumentView): string {
  const url = doc.servers?.[0]?.url ?? '';
  try {
    return new URL(url, 'http://server.invalid').pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

const schemaAnchor = (name: string) => `schema-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
const refName = (ref: string) => ref.split('/').pop() ?? ref;

function operations(doc: DocumentView): Map<string, Operation[]> {
  const byTag = new Map<string, Operation[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'Other';
      const anchor = `op-${(op.operationId ?? `${method}${path}`).replace(/[^A-Za-z0-9_-]/g, '_')}`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, op, anchor }]);
    }
  }
  return new Map([...byTag.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** A one-line type: a link for a `$ref`, element types for arrays, alternatives joined by `|`. */
function typeLabel(schema: SchemaView | undefined): string {
  if (!schema) return 'any';
  if (schema.$ref)
    return `<a class="ref" href="#${schemaAnchor(refName(schema.$ref))}">${esc(refName(schema.$ref))}</a>`;
  if (schema.const !== undefined) return `<code>${esc(JSON.stringify(schema.const))}</code>`;
  if (schema.enum) return schema.enum.map((value) => `<code>${esc(JSON.stringify(value))}</code>`).join(' | ');
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.map(typeLabel).join(' | ');
  if (schema.allOf) return schema.allOf.map(typeLabel).join(' &amp; ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return (
    types
      .map((type) => {
        if (type === 'array') return `array of ${typeLabel(schema.items)}`;
        if (type === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object') {
          return `map of ${typeLabel(schema.additionalProperties)}`;
        }
        return esc(schema.format ? `${type} (${schema.format})` : type);
      })
      .join(' | ') || 'any'
  );
}

function constraints(schema: SchemaView): string {
  const parts: string[] = [];
  const add = (label: string, value: unknown) => {
    if (value !== undefined) parts.push(`${label} ${esc(typeof value === 'string' ? value : JSON.stringify(value))}`);
  };
  add('min', schema.minimum);
  add('max', schema.maximum);
  add('min length', schema.minLength);
  add('max length', schema.maxLength);
  add('min items', schema.minItems);
  add('max items', schema.maxItems);
  add('pattern', schema.pattern);
  add('default', schema.default);
  return parts.length ? ` <span class="muted">(${parts.join(', ')})</span>` : '';
}

/** The properties of an inline object (a named one is a link to its own entry), nested a few levels. */
function schemaBody(schema: SchemaView | undefined, depth = 0): string {
  if (!schema || schema.$ref || depth > 6) return '';
  const inner = schema.items && !schema.items.$ref ? schema.items : schema;
  const properties = Object.entries(inner.properties ?? {});
  if (properties.length === 0) return '';
  const required = new Set(inner.required ?? []);
  return `<ul class="props">${properties
    .map(
      ([name, property]) =>
        `<li><code>${esc(name)}</code> ${typeLabel(property)}${required.has(name) ? ' <span class="req">required</span>' : ''}${constraints(property)}${
          property.description ? ` — ${prose(property.description)}` : ''
        }${schemaBody(property, depth + 1)}</li>`,
    )
    .join('')}</ul>`;
}

function contentHtml(content: Record<string, { schema?: SchemaView | undefined }> | undefined): string {
  return Object.entries(content ?? {})
    .map(
      ([type, media]) =>
        `<div class="media"><span class="muted">${esc(type)}</span> ${typeLabel(media.schema)}${media.schema?.description && !media.schema.$ref ? ` — ${prose(media.schema.description)}` : ''}${schemaBody(media.schema)}</div>`,
    )
    .join('');
}

function authHtml(op: OperationView): string {
  const requirement = op.security?.[0];
  if (!op.security) return '<p class="auth open">No authentication.</p>';
  if (!requirement) return '<p class="auth open">No API key: the sender signs the request (below).</p>';
  const scopes = Object.values(requirement).flat();
  return `<p class="auth">API key (<code>Authorization: Bearer &lt;key&gt;</code>) with scope ${scopes
    .map((scope) => `<code class="scope">${esc(scope)}</code>`)
    .join(' or ')}</p>`;
}

function operationHtml(base: string, tag: string, { method, path, op, anchor }: Operation): string {
  const scopes = Object.values(op.security?.[0] ?? {}).flat();
  const search = [method, `${base}${path}`, op.summary ?? '', tag, ...scopes].join(' ').toLowerCase();
  const parameters = op.parameters ?? [];
  const parametersHtml = parameters.length
    ? `<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr></thead><tbody>${parameters
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${esc(p.in)}</td><td>${typeLabel(p.schema)}${p.schema ? constraints(p.schema) : ''}</td><td>${prose(p.description ?? p.schema?.description)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  const body = op.requestBody
    ? `<h4>Request body${op.requestBody.required ? '' : ' (optional)'}</h4>${contentHtml(op.requestBody.content)}`
    : '';
  const responses = `<h4>Responses</h4><dl class="responses">${Object.entries(op.responses ?? {})
    .map(
      ([status, response]) =>
        `<dt class="status s${esc(status.charAt(0))}">${esc(status)}</dt><dd>${prose(response.description)}${contentHtml(response.content)}</dd>`,
    )
    .join('')}</dl>`;
  return `<section class="op" id="${anchor}" data-search="${esc(search)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code class="path">${esc(base + path)}</code></h3>
<p class="summary">${prose(op.summary)}</p>${op.description ? `<p>${prose(op.description)}</p>` : ''}
${authHtml(op)}${parametersHtml}${body}${responses}
</section>`;
}

function authenticationHtml(doc: DocumentView, base: string): string {
  const schemes = Object.entries(doc.components?.securitySchemes ?? {});
  const server = doc.servers?.[0]?.url ?? base;
  return `<section id="authentication" class="intro">
<h2>Authentication</h2>
${schemes
  .map(
    ([name, scheme]) =>
      `<p><strong>${esc(name)}</strong>: ${esc(scheme.type)}${scheme.scheme ? ` ${esc(scheme.scheme)}` : ''}</p><p>${prose(scheme.description)}</p>`,
  )
  .join('')}
<pre>curl ${esc(server.startsWith('/') ? `http://localhost:7071${server}` : server)}/v1/api-keys \\
  -H 'Authorization: Bearer &lt;key&gt;'</pre>
<p>Every path below is relative to the host: the server URL of this deployment is <code>${esc(server)}</code>.</p>
</section>`;
}

function schemasHtml(doc: DocumentView): string {
  const schemas = Object.entries(doc.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return `<section id="schemas"><h2>Schemas</h2>${schemas
    .map(
      ([name, schema]) =>
        `<section class="schema" id="${schemaAnchor(name)}" data-search="schema ${esc(name.toLowerCase())}"><h3>${esc(name)}</h3><p>${typeLabel(
          schema.properties ? { ...schema, type: 'object' } : schema,
        )}${schema.description ? ` — ${prose(schema.description)}` : ''}</p>${schemaBody(schema)}</section>`,
    )
    .join('')}</section>`;
}

function navHtml(groups: Map<string, Operation[]>, base: string): string {
  return `<nav id="nav" aria-label="Operations">
<input id="filter" type="search" placeholder="Filter operations" aria-label="Filter operations" autocomplete="off">
<p><a href="#authentication">Authentication</a></p>
${[...groups.entries()]
  .map(
    ([tag, ops]) =>
      `<div class="nav-group"><h4>${esc(tag)}</h4><ul>${ops
        .map(
          ({ method, path, op, anchor }) =>
            `<li data-search="${esc([method, `${base}${path}`, op.summary ?? '', tag].join(' ').toLowerCase())}"><a href="#${anchor}"><span class="method ${method}">${method.toUpperCase()}</span> ${esc(base + path)}</a></li>`,
        )
        .join('')}</ul></div>`,
  )
  .join('\n')}
<p><a href="#schemas">Schemas</a></p>
</nav>`;
}

function pageHtml(doc: DocumentView, openApiUrl: string, style: string, script: string): string {
  const base = basePath(doc);
  const groups = operations(doc);
  const count = [...groups.values()].reduce((n, ops) => n + ops.length, 0);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} reference</title>
<style>${style}</style>
</head>
<body>
<header><strong>${esc(doc.info.title)}</strong> <span class="muted">${esc(doc.info.version)}</span> — ${count} operations · <a href="${esc(openApiUrl)}">openapi.json</a></header>
<div class="layout">
${navHtml(groups, base)}
<main id="root">
<p>${prose(doc.info.description)}</p>
${authenticationHtml(doc, base)}
${[...groups.entries()]
  .map(
    ([tag, ops]) =>
      `<section class="tag"><h2>${esc(tag)}</h2>${ops.map((op) => operationHtml(base, tag, op)).join('\n')}</section>`,
  )
  .join('\n')}
${schemasHtml(doc)}
</main>
</div>
<script>${script}</script>
</body>
</html>`;
}

const PAGE_STYLE = `
  * { box-sizing: border-box; }
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #f6f8fa; }
  header { background: #0b3d91; color: #fff; padding: 12px 24px; position: sticky; top: 0; z-index: 1; }
  header a, header .muted { color: #dbe7ff; }
  .layout { display: grid; grid-template-columns: 340px minmax(0, 1fr); }
  nav { position: sticky; top: 48px; height: calc(100vh - 48px); overflow-y: auto; padding: 12px 16px; border-right: 1px solid #d0d7de; background: #fff; font-size: 13px; }
  nav input { width: 100%; padding: 6px 8px; font: inherit; border: 1px solid #d0d7de; border-radius: 6px; }
  nav h4 { margin: 14px 0 4px; font-size: 12px; text-transform: uppercase; color: #57606a; }
  nav ul { list-style: none; margin: 0; padding: 0; }
  nav li a { display: block; padding: 2px 4px; color: #1b1f24; text-decoration: none; border-radius: 4px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  nav li a:hover { background: #eaeef2; }
  nav .method { min-width: 46px; font-size: 11px; }
  main { max-width: 1100px; padding: 8px 28px 64px; }
  section.op, section.schema, section.intro { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; margin: 12px 0; padding: 10px 16px; scroll-margin-top: 56px; }
  section.op h3 { margin: 4px 0; font-size: 16px; }
  h2 { margin-top: 28px; scroll-margin-top: 56px; }
  section.intro h2, section.schema h3 { margin-top: 4px; }
  h4 { margin: 12px 0 4px; font-size: 13px; }
  .method { display: inline-block; min-width: 60px; font-weight: 700; }
  .get { color: #1a7f37; } .post { color: #0550ae; } .delete { color: #cf222e; } .patch, .put { color: #9a6700; }
  code, pre { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; }
  pre { background: #f6f8fa; padding: 8px 12px; overflow: auto; border-radius: 4px; }
  .scope { background: #ddf4ff; border-radius: 10px; padding: 1px 8px; }
  .auth { margin: 6px 0; font-size: 13px; } .auth.open { color: #57606a; }
  .req { color: #cf222e; font-size: 12px; } .muted { color: #57606a; font-size: 12px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; border-top: 1px solid #eaeef2; padding: 4px 8px; vertical-align: top; }
  ul.props { margin: 4px 0; padding-left: 20px; font-size: 13px; }
  dl.responses { display: grid; grid-template-columns: 48px 1fr; gap: 4px 8px; margin: 0; font-size: 13px; }
  dt.status { font-weight: 700; } .s2 { color: #1a7f37; } .s4 { color: #9a6700; } .s5 { color: #cf222e; }
  dd { margin: 0; } .media { margin-top: 2px; }
  a.ref { color: #0550ae; }
  [hidden] { display: none !important; }
  @media (max-width: 800px) { .layout { display: block; } nav { position: static; height: auto; } }
`;

// Plain DOM code: no eval, no inline handlers, so the hash-only CSP admits it as it is.
const PAGE_SCRIPT = `
(() => {
  const input = document.getElementById('filter');
  const apply = () => {
    const words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    for (const el of document.querySelectorAll('[data-search]')) {
      const text = el.getAttribute('data-search');
      el.hidden = !words.every((word) => text.includes(word));
    }
    for (const group of document.querySelectorAll('.nav-group, section.tag, #schemas')) {
      group.hidden = words.length > 0 && !group.querySelector('[data-search]:not([hidden])');
    }
  };
  input.addEventListener('input', apply);
  document.documentElement.classList.add('filter-ready');
})();
`;
