import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referencePage } from '../../shared/api/reference-page';
import { ROOT } from '../support/host-process';

/**
 * The reference page rendered from the committed OpenAPI document (the browser test drives the
 * served one): complete without a script, every `$ref` a link to an entry that exists, document
 * text escaped, and a CSP that admits exactly the page's own style and script.
 */
interface Document {
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, { operationId: string; summary?: string }>>;
  components: { schemas: Record<string, unknown> };
}

const load = (): Document =>
  JSON.parse(readFileSync(join(ROOT, 'test/fixtures/openapi/document.json'), 'utf8')) as Document;

describe('referencePage', () => {
  it('renders every operation under the server path, the receive route and the security scheme', () => {
    const document = load();
    const { html } = referencePage(document, '/api/v1/openapi.json');
    expect(html).not.toContain('Loading…');
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(html).toContain(`id="op-${op.operationId}"`);
        expect(html).toContain(
          `<span class="method ${method}">${method.toUpperCase()}</span> <code class="path">/api${path}</code>`,
        );
      }
    }
    expect(html).toContain('/api/hooks/{webhookId}</code>');
    expect(html).toContain('id="authentication"');
    expect(html).toContain('<code>Authorization: Bearer &#60;key&#62;</code>');
  });

  it('links every $ref to a schema entry on the page', () => {
    const document = load();
    const { html } = referencePage(document, '/api/v1/openapi.json');
    const refs = new Set(
      [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]),
    );
    expect(refs.size).toBeGreaterThan(50);
    for (const name of refs) {
      expect(html).toContain(`href="#schema-${name}"`);
      expect(html).toContain(`id="schema-${name}"`);
    }
    const anchors = new Set([...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
    const targets = [...html.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]);
    expect(targets.filter((target) => !anchors.has(target))).toEqual([]);
    expect(html).not.toContain('#/components/');
  });

  it('uses the path of an absolute server URL (PUBLIC_BASE_URL)', () => {
    const document = { ...load(), servers: [{ url: 'https://hub.example.com/api' }] };
    const { html } = referencePage(document, '/api/v1/openapi.json');
    expect(html).toContain('<code class="path">/api/v1/integrations</code>');
    expect(html).toContain('https://hub.example.com/api');
  });

  it('escapes text from the document, so a description can never become markup', () => {
    const document = load();
    const first = Object.values(Object.values(document.paths)[0] ?? {})[0];
    if (first) first.summary = '<script>alert(1)</script> `<img src=x onerror=alert(1)>`';
    const { html } = referencePage(document, '/api/v1/openapi.json');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('admits exactly its own inline style and script by hash, nothing unsafe', () => {
    const { html, contentSecurityPolicy } = referencePage(load(), '/api/v1/openapi.json');
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '');
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(contentSecurityPolicy).toContain(`script-src ${hash(scripts[0] ?? '')}`);
    expect(contentSecurityPolicy).toContain(`style-src ${hash(styles[0] ?? '')}`);
    expect(contentSecurityPolicy).toContain("default-src 'none'");
    expect(contentSecurityPolicy).not.toMatch(/unsafe|connect-src/);
    // No inline style attributes or event handlers, which a hash-only CSP would block.
    expect(html).not.toMatch(/ style="| on[a-z]+="/);
  });
});
