import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageProblems, launchBrowser } from '../support/browser';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';

/**
 * The API reference page in a real headless Chromium: under its strict CSP the page's own script
 * runs, fetches the OpenAPI document and renders the operations; nothing is blocked or thrown.
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

describe('the API reference page in Chromium', () => {
  it('renders the operations from the OpenAPI document under its CSP, with no console error', async () => {
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    const response = await page.goto(`${host.baseUrl}/api/v1/docs`, { waitUntil: 'networkidle0' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    // A string, evaluated in the page: the test's own TypeScript has no DOM types.
    await page.waitForFunction("!document.querySelector('#root').textContent.includes('Loading…')");
    const text = await page.$eval('#root', (root) => root.textContent ?? '');
    expect(text).toContain('/v1/integrations');
    expect(text).toContain('/v1/subscriptions');
    expect(problems).toEqual([]);
  });
});
