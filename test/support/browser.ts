import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * A real headless Chromium for page tests, shipped inside an npm package (@sparticuz/chromium), so
 * `npm ci && npm test` needs no browser download and no system install. The first launch unpacks
 * the browser into the temp folder (a few seconds); later launches reuse it.
 */
export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    args: chromium.args,
    executablePath: await chromium.executablePath(),
    headless: true,
  });
}

/** The page's console errors and CSP violations, collected while a test drives it. */
export function collectPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  return problems;
}

/**
 * Records the page's Content-Security-Policy violations in the page itself from before its first
 * script runs (DevTools injects the recorder, so the page's CSP does not block it); read them with
 * cspViolations. A console error usually reports a violation too, but this names the directive.
 */
export async function recordCspViolations(page: Page): Promise<void> {
  await page.evaluateOnNewDocument(`
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
    });
  `);
}

export async function cspViolations(page: Page): Promise<string[]> {
  return (await page.evaluate('window.__cspViolations')) as string[];
}
