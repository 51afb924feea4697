import { createHash } from 'node:crypto';

/**
 * A self-contained API reference page (no CDN: it must work offline and under a strict CSP). It
 * fetches the OpenAPI document beside it and renders every operation with its parameters, body
 * schema and responses.
 *
 * Its Content-Security-Policy allows exactly the page's own inline style and script (by SHA-256
 * hash), fetches to the same origin, and nothing else: no other script, no frames, no forms, no
 * plugins, so text from the API document can never run as code even if escaping had a gap.
 */
export interface ReferencePage {
  html: string;
  contentSecurityPolicy: string;
}

const hashSource = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function referencePage(openApiUrl: string): ReferencePage {
  const style = pageStyle();
  const script = pageScript(openApiUrl);
  const html = referencePageHtml(openApiUrl, style, script);
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${hashSource(script)}`,
    `style-src ${hashSource(style)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}

function escapeAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function referencePageHtml(openApiUrl: string, style: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MSP Integration Hub API reference</title>
<style>${style}</style>
</head>
<body>
<header><strong>MSP Integration Hub</strong> — API reference (<a href="${escapeAttribute(openApiUrl)}">openapi.json</a>)</header>
<main id="root">Loading…</main>
<script>${script}</script>
</body>
</html>`;
}

function pageStyle(): string {
  return `
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #f6f8fa; }
  header { background: #0b3d91; color: #fff; padding: 16px 24px; }
  main { max-width: 1040px; margin: 0 auto; padding: 16px 24px; }
  section.op { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; margin: 12px 0; padding: 12px 16px; }
  .method { display: inline-block; min-width: 64px; font-weight: 700; text-transform: uppercase; }
  .get { color: #1a7f37; } .post { color: #0550ae; } .delete { color: #cf222e; } .patch, .put { color: #9a6700; }
  code, pre { font: 13px ui-monospace, monospace; }
  pre { background: #f6f8fa; padding: 8px; overflow: auto; border-radius: 4px; }
  .scope { font-size: 12px; background: #ddf4ff; border-radius: 10px; padding: 1px 8px; margin-left: 8px; }
  h2 { margin-top: 28px; }
  header a { color: #fff; }
`;
}

function pageScript(openApiUrl: string): string {
  // JSON.stringify alone would let "</script>" in the URL end the element; escape "<" as well.
  const url = JSON.stringify(openApiUrl).replace(/</g, '\\u003c');
  return `
(async () => {
  const root = document.getElementById('root');
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  try {
    const doc = await (await fetch(${url})).json();
    const schemas = (doc.components && doc.components.schemas) || {};
    const show = (schema) => esc(JSON.stringify(schema && schema.$ref ? schemas[schema.$ref.split('/').pop()] : schema, null, 2));
    const byTag = {};
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const [method, op] of Object.entries(item)) {
        const tag = (op.tags && op.tags[0]) || 'Other';
        (byTag[tag] = byTag[tag] || []).push({ path, method, op });
      }
    }
    let html = '<p>' + esc(doc.info.description || '') + '</p>';
    for (const [tag, ops] of Object.entries(byTag)) {
      html += '<h2>' + esc(tag) + '</h2>';
      for (const { path, method, op } of ops) {
        const scope = op.security && op.security[0] && op.security[0].apiKey && op.security[0].apiKey[0];
        html += '<section class="op"><div><span class="method ' + method + '">' + method + '</span><code>' + esc(path) + '</code>' +
          (scope ? '<span class="scope">' + esc(scope) + '</span>' : '') + '</div><p>' + esc(op.summary || '') + '</p>';
        if (op.parameters && op.parameters.length) {
          html += '<p><strong>Parameters</strong></p><ul>' + op.parameters.map((p) => '<li><code>' + esc(p.name) + '</code> (' + esc(p.in) + (p.required ? ', required' : '') + ')</li>').join('') + '</ul>';
        }
        const body = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
        if (body) html += '<p><strong>Body</strong></p><pre>' + show(body.schema) + '</pre>';
        html += '<p><strong>Responses</strong></p><ul>' + Object.entries(op.responses || {}).map(([s, r]) => '<li><code>' + esc(s) + '</code> ' + esc(r.description || '') + '</li>').join('') + '</ul></section>';
      }
    }
    root.innerHTML = html;
  } catch (e) {
    root.textContent = 'Could not load the OpenAPI document: ' + e;
  }
})();
`;
}
