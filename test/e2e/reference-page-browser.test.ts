import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageProblems, cspViolations, launchBrowser, recordCspViolations } from '../support/browser';
import { type HostProcess, ROOT, sharedAzuriteEnv, startHostProcess } from '../support/host-process';

/**
 * The API reference page in a real headless Chromium, served by the local host: the page arrives
 * complete (operations, authentication, schemas), its one hashed script runs under the strict CSP
 * (the filter), and nothing is blocked or thrown. With UPDATE_SCREENSHOTS=1 it also writes
 * docs/images/api-reference.png.
 */
let host: HostProcess;
let browser: Browser;

beforeAll(async () => {
  [host, browser] = await Promise.all([
    startHostProcess(sharedAzuriteEnv({ LOCAL_TIMERS: 'manual' })),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

interface Document {
  paths: Record<string, Record<string, { operationId: string }>>;
}

// Strings evaluated in the page: the test's own TypeScript has no DOM types.
const count = (page: Page, selector: string) =>
  page.evaluate(`document.querySelectorAll(${JSON.stringify(selector)}).length`) as Promise<number>;
const visibleOps = (page: Page) =>
  page.evaluate(
    "[...document.querySelectorAll('section.op')].filter((s) => !s.hidden).map((s) => s.querySelector('.path').textContent)",
  ) as Promise<string[]>;

describe('the API reference page in Chromium', () => {
  it('shows every operation and the authentication section under its CSP, with no console error', async () => {
    const document = (await (await fetch(`${host.baseUrl}/api/v1/openapi.json`)).json()) as Document;
    const operationIds = Object.values(document.paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );

    const page = await browser.newPage();
    await page.setViewport({ width: 1360, height: 900 });
    const problems = collectPageProblems(page);
    await recordCspViolations(page);
    const response = await page.goto(`${host.baseUrl}/api/v1/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    // The page's script marks the document once it has run.
    await page.waitForFunction("document.documentElement.classList.contains('filter-ready')");

    // Every operation of the document, under its full path, and one navigation link to each.
    expect(await count(page, 'section.op')).toBe(operationIds.length);
    expect(operationIds.length).toBeGreaterThan(60);
    for (const id of operationIds) expect(await count(page, `section.op#op-${id}`)).toBe(1);
    expect(await count(page, 'nav li a')).toBe(operationIds.length);
    const paths = await visibleOps(page);
    expect(paths).toContain('/api/v1/integrations');
    expect(paths).toContain('/api/hooks/{webhookId}');
    expect(paths.every((path) => path.startsWith('/api/'))).toBe(true);

    // How to send the key, before any operation.
    const auth = (await page.$eval('#authentication', (el) => el.textContent ?? '')) as string;
    expect(auth).toContain('Authorization: Bearer <key>');
    expect(auth).toContain('apikeys:write');

    // Every in-page link lands somewhere: no $ref is left unresolved.
    const dangling = (await page.evaluate(
      "[...document.querySelectorAll('a[href^=\"#\"]')].map((a) => a.getAttribute('href').slice(1)).filter((id) => !document.getElementById(id))",
    )) as string[];
    expect(dangling).toEqual([]);
    expect(await count(page, 'a.ref')).toBeGreaterThan(50);
    expect(await page.evaluate('document.body.innerText.includes("#/components/")')).toBe(false);

    if (process.env['UPDATE_SCREENSHOTS'] === '1') {
      mkdirSync(join(ROOT, 'docs/images'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'docs/images/api-reference.png') as `${string}.png` });
    }

    // The filter (the page's script) narrows the operations and the navigation as one types.
    await page.type('#filter', '/api/v1/subscriptions');
    await page.waitForFunction("[...document.querySelectorAll('section.op')].some((s) => s.hidden)");
    const filtered = await visibleOps(page);
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.length).toBeLessThan(operationIds.length);
    expect(filtered.every((path) => path.startsWith('/api/v1/subscriptions'))).toBe(true);

    expect(await cspViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
