import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CREDENTIALS, FAKES, fakeConfig } from '../fakes/core/all-fakes';
import type { FakeVendorServer } from '../fakes/core/fake-server';
import { collectPageProblems, cspViolations, launchBrowser, recordCspViolations } from '../support/browser';
import { type HostProcess, ROOT, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';
import { answer, type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * The local console (docs/console.md) in a real headless Chromium, served by the local host, over
 * data this file creates through the API: an Autotask integration the fake refuses (its name and the
 * vendor's message carry markup), a generic webhook whose event fails (no SOP matches) plus a
 * refused delivery with a wrong signature, and an outbound delivery the receiver answers 500.
 * The page loads with no key and no data, shows that data once a key is typed, a type toggle
 * changes each chart, a replay shows the guard's own message, a manual retry delivers, and nothing
 * is blocked, thrown, stored or executed. With UPDATE_SCREENSHOTS=1 (`npm run console:screenshot`)
 * it writes docs/images/console-dashboard.png; otherwise the screenshot goes to a temp folder.
 */
let host: HostProcess;
let browser: Browser;
let autotask: FakeVendorServer;
let healthyAutotask: FakeVendorServer;
let receiver: Receiver;
let key: string;
const tempDir = mkdtempSync(join(tmpdir(), 'hub-console-'));

// Markup in text the page shows: it must arrive as text, and nothing may run.
const HOSTILE_NAME = 'Autotask <img src=x onerror="window.__pwned=1">';
const HOSTILE_MESSAGE = 'User is locked <img src=x onerror="window.__pwned=2"><script>window.__pwned=3</script>';

const seeded = { integrationId: '', failedEventId: '', filteredEventId: '', deliveryId: '' };
const FILTER_NAME = 'heartbeat noise';
/** How far off the next automatic attempt must be before "Retry now" is clicked (the click takes far less). */
const SAFE_BEFORE_NEXT_ATTEMPT_MS = 30_000;

const api = (method: string, path: string, body?: unknown) =>
  call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

async function seed(): Promise<void> {
  // A healthy integration beside it, on a fake of its own (faults are per fake).
  const healthy = await api('POST', '/api/v1/integrations', {
    vendor: 'autotask',
    name: 'Autotask (head office)',
    credentials: FAKE_CREDENTIALS.autotask,
    config: fakeConfig('autotask', healthyAutotask.baseUrl),
  });
  expect(healthy.status, healthy.text).toBe(201);
  const connected = await api('POST', `/api/v1/integrations/${String(healthy.json.id)}/recheck?wait=20`);
  expect(connected.json.status, connected.text).toMatchObject({ state: 'connected' });

  // A failing integration: saved while the fake accepts the credentials, then refused with 401.
  const created = await api('POST', '/api/v1/integrations', {
    vendor: 'autotask',
    name: HOSTILE_NAME,
    credentials: FAKE_CREDENTIALS.autotask,
    config: fakeConfig('autotask', autotask.baseUrl),
  });
  expect(created.status, created.text).toBe(201);
  seeded.integrationId = String(created.json.id);
  autotask.injectFault({ kind: 'status', status: 401, body: { errors: [HOSTILE_MESSAGE] } });
  const recheck = await api('POST', `/api/v1/integrations/${seeded.integrationId}/recheck?wait=20`);
  expect(recheck.json.status, recheck.text).toMatchObject({ state: 'needs_attention' });

  // A generic webhook: a signed delivery that no SOP matches fails with a Failure Analysis, and a
  // wrong signature is refused at receive (both counted as failed inbound_webhook transactions).
  // Its ingest filter drops heartbeats: one event ends `filtered` with the rule's name.
  const hook = await api('POST', '/api/v1/webhooks', {
    name: 'Monitoring',
    filters: [{ name: FILTER_NAME, entityTypes: ['heartbeat'] }],
  });
  expect(hook.status, hook.text).toBe(201);
  const body = JSON.stringify({ type: 'alert.raised', id: randomUUID(), subject: 'Disk almost full' });
  const signature = createHmac('sha256', String(hook.json.secret)).update(body).digest('hex');
  const received = await call(host.baseUrl, 'POST', `/api/hooks/${String(hook.json.id)}`, {
    rawBody: body,
    headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${signature}` },
  });
  expect(received.status, received.text).toBe(202);
  seeded.failedEventId = String(received.json.eventId);
  const refused = await call(host.baseUrl, 'POST', `/api/hooks/${String(hook.json.id)}`, {
    rawBody: body,
    headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${'0'.repeat(64)}` },
  });
  expect(refused.status).toBe(401);
  const failed = await api('GET', `/api/v1/events/${seeded.failedEventId}?waitFor=terminal&timeout=20`);
  expect(failed.json.status, failed.text).toBe('failed');
  const heartbeat = JSON.stringify({ type: 'heartbeat.ping', id: randomUUID(), subject: 'Still here' });
  const heartbeatSignature = createHmac('sha256', String(hook.json.secret)).update(heartbeat).digest('hex');
  const dropped = await call(host.baseUrl, 'POST', `/api/hooks/${String(hook.json.id)}`, {
    rawBody: heartbeat,
    headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${heartbeatSignature}` },
  });
  expect(dropped.status, dropped.text).toBe(202);
  seeded.filteredEventId = String(dropped.json.eventId);
  const filtered = await api('GET', `/api/v1/events/${seeded.filteredEventId}?waitFor=terminal&timeout=20`);
  expect(filtered.json.status, filtered.text).toBe('filtered');

  // An outbound delivery the receiver refuses with 500: retrying, with its first attempt logged.
  const subscription = await api('POST', '/api/v1/subscriptions', {
    url: receiver.url,
    eventTypes: ['ticket.*'],
    description: 'console test receiver',
  });
  expect(subscription.status, subscription.text).toBe(201);
  const types = await api('GET', '/api/v1/event-types');
  const example = (types.json.items as Array<{ type: string; example: unknown }>).find(
    (t) => t.type === 'ticket.created',
  )?.example;
  const published = await api('POST', '/api/v1/events/publish', { type: 'ticket.created', data: example });
  expect(published.status, published.text).toBe(202);
  const delivery = await eventually(async () => {
    const list = await api('GET', '/api/v1/deliveries?limit=10');
    const items = list.json.items as Array<{ id: string; status: string; lastAttempt?: { statusCode: number | null } }>;
    return items.find((d) => d.lastAttempt?.statusCode === 500 && d.status === 'retrying');
  }, 60_000);
  seeded.deliveryId = delivery.id;
}

beforeAll(async () => {
  autotask = FAKES.autotask.create();
  await autotask.start(0);
  healthyAutotask = FAKES.autotask.create();
  await healthyAutotask.start(0);
  receiver = await startReceiver(answer(500, {}, 'receiver down'));
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual' });
  key = env.BOOTSTRAP_API_KEY!;
  [host, browser] = await Promise.all([startHostProcess(env), launchBrowser()]);
  await seed();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await host?.stop();
  await receiver?.close();
  await autotask?.stop();
  await healthyAutotask?.stop();
  rmSync(tempDir, { recursive: true, force: true });
});

// Strings evaluated in the page: the test's own TypeScript has no DOM types.
const evaluate = <T>(page: Page, expression: string) => page.evaluate(expression) as Promise<T>;
const text = (page: Page, selector: string) =>
  evaluate<string>(page, `document.querySelector(${JSON.stringify(selector)})?.textContent ?? ''`);
const count = (page: Page, selector: string) =>
  evaluate<number>(page, `document.querySelectorAll(${JSON.stringify(selector)}).length`);

/** Chromium reports every 4xx a fetch gets as a console error; the page shows those on purpose. */
const unexpected = (problems: string[]) =>
  problems.filter((p) => !/^Failed to load resource: the server responded with a status of 4\d\d/.test(p));

async function openConsole(page: Page, apiKey: string): Promise<void> {
  const loaded = Number((await page.evaluate("document.documentElement.getAttribute('data-loaded') ?? '0'")) ?? 0);
  await page.type('#api-key', apiKey);
  await page.click('#key-open');
  await page.waitForFunction(`Number(document.documentElement.getAttribute('data-loaded') ?? 0) > ${loaded}`);
}

describe('the console page in Chromium', () => {
  it('is a page without data or key: strict CSP, separate script and stylesheet, same security headers', async () => {
    const res = await fetch(`${host.baseUrl}/api/console`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<style>|\son[a-z]+=|style="/);
    expect(html).not.toContain('Autotask <img');
    const script = await fetch(`${host.baseUrl}/api/console/console.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    // No markup from strings and no place to keep the key but a variable.
    expect(await script.text()).not.toMatch(
      /\.(innerHTML|outerHTML|insertAdjacentHTML)\b|\b(localStorage|sessionStorage|document\.cookie|eval)\b/,
    );
    const style = await fetch(`${host.baseUrl}/api/console/console.css`);
    expect(style.headers.get('content-type')).toContain('text/css');
    // The data behind it needs the key.
    expect((await call(host.baseUrl, 'GET', '/api/v1/dashboard')).status).toBe(401);
  });

  it('shows the data the test created, charts toggle, replay shows the guard, retry delivers, nothing runs or is kept', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1360, height: 1700 });
    const problems = collectPageProblems(page);
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await recordCspViolations(page);
    const response = await page.goto(`${host.baseUrl}/api/console`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    await page.waitForFunction("document.documentElement.getAttribute('data-console-ready') === 'true'");

    // A wrong key: the API's own answer, nothing shown.
    await openConsole(page, 'not-a-real-key-0123456789');
    expect(await text(page, '#notice')).toContain('api_key_invalid');
    expect(await evaluate<boolean>(page, "document.getElementById('main').hidden")).toBe(true);

    await openConsole(page, key);
    expect(await evaluate<boolean>(page, "document.getElementById('main').hidden")).toBe(false);
    expect(await text(page, '#notice')).toBe('');

    // Integration card: the name and the vendor's message exactly as text, with the hint.
    const card = `#integration-cards [data-integration="${seeded.integrationId}"]`;
    expect(await text(page, `${card} .name`)).toBe(HOSTILE_NAME);
    expect(await evaluate<string>(page, `document.querySelector('${card}').dataset.state`)).toBe('needs_attention');
    expect(await text(page, `${card} .last-error`)).toContain(HOSTILE_MESSAGE);
    expect(await text(page, `${card} .hint`)).toMatch(/^Hint: ./);
    expect(await count(page, '#integration-cards [data-state="connected"]')).toBe(1);

    // Dashboard: change cards, one donut slice per failing type, five trend lines, codes, failures.
    expect(await count(page, '#change-cards .card')).toBe(6);
    expect(await text(page, '#change-cards [data-controls]')).toMatch(
      /^\d+ deliveries held, \d+ throttled, \d+ inbound events held$/,
    );
    const failingTypes = ['inbound_webhook', 'outbound_webhook', 'prebuilt_integration'];
    for (const type of failingTypes) expect(await count(page, `#donut .slice[data-type="${type}"]`), type).toBe(1);
    const slices = await count(page, '#donut .slice');
    expect(await count(page, '#trend .series')).toBe(5);
    expect(await count(page, '#codes tbody tr[data-code="401"]')).toBe(1);
    expect(await count(page, '#failures tbody tr[data-failure]')).toBeGreaterThanOrEqual(3);

    const screenshot =
      process.env['UPDATE_SCREENSHOTS'] === '1'
        ? join(ROOT, 'docs/images/console-dashboard.png')
        : join(tempDir, 'console-dashboard.png');
    mkdirSync(join(screenshot, '..'), { recursive: true });
    await page.screenshot({ path: screenshot as `${string}.png` });

    // A type toggle hides it from the donut; another hides a line from the trend.
    await page.click('#donut-legend button[data-type="prebuilt_integration"]');
    await page.waitForFunction(`document.querySelectorAll('#donut .slice').length === ${slices - 1}`);
    expect(await count(page, '#donut .slice[data-type="prebuilt_integration"]')).toBe(0);
    expect(
      await evaluate<string>(
        page,
        "document.querySelector('#donut-legend button[data-type=\"prebuilt_integration\"]').getAttribute('aria-pressed')",
      ),
    ).toBe('false');
    await page.click('#trend-toggles button[data-type="inbound_webhook"]');
    await page.waitForFunction("document.querySelectorAll('#trend .series').length === 4");
    expect(await count(page, '#trend .series[data-type="inbound_webhook"]')).toBe(0);

    // A failure's details, then its catalog entry.
    await page.click('#failures tbody tr[data-failure] button[data-action="failure"]');
    await page.waitForFunction("document.querySelector('#failure-detail dl') !== null");
    expect(await text(page, '#failure-detail')).toContain('What to do');
    await page.click('#failure-detail button[data-catalog]');
    await page.waitForFunction("document.querySelector('#catalog-entry .catalog-title') !== null");
    expect(await text(page, '#catalog-entry .catalog-title')).toMatch(/^Error catalog: \S+ — ./);

    // The failed event: its Failure Analysis, a replay accepted, then the guard's message verbatim.
    const row = `#event-list tr[data-event="${seeded.failedEventId}"]`;
    expect(await count(page, row)).toBe(1);
    await page.click(`${row} button[data-action="event"]`);
    await page.waitForFunction("document.querySelector('#event-detail .analysis') !== null");
    expect(await text(page, '#event-detail .analysis')).toContain('Suggested fix');
    await page.click(`${row} button[data-action="replay"]`);
    await page.waitForFunction("document.getElementById('event-result').getAttribute('data-outcome') === 'accepted'");
    expect(await text(page, '#event-result')).toContain(`replay of ${seeded.failedEventId}`);
    await page.click(`${row} button[data-action="replay"]`);
    await page.waitForFunction("document.getElementById('event-result').getAttribute('data-outcome') === 'refused'");
    expect(await text(page, '#event-result .result-code')).toMatch(/^replay_(in_flight|cooldown)$/);
    expect(await text(page, '#event-result .result-text')).toMatch(/replay/i);

    // A dry run of the failed event: the verdict and its summary as text, nothing written.
    await page.click(`${row} button[data-action="dry-run"]`);
    await page.waitForFunction("document.querySelector('#dry-run .dry-run-verdict') !== null");
    expect(await evaluate<string>(page, "document.querySelector('#dry-run .dry-run-verdict').dataset.outcome")).toBe(
      'failed',
    );
    expect(await text(page, '#dry-run')).toContain(`Dry run of event ${seeded.failedEventId}`);
    expect(await text(page, '#dry-run')).toContain('Nothing was written');

    // The filtered events: the status option lists the heartbeat with the rule that dropped it, and
    // its dry run reports the filter as not applied to a replay.
    await page.select('#event-status', 'filtered');
    const filteredRow = `#event-list tr[data-event="${seeded.filteredEventId}"]`;
    await page.waitForFunction(`document.querySelector(${JSON.stringify(filteredRow)}) !== null`);
    expect(await count(page, `#event-list tr[data-event="${seeded.failedEventId}"]`)).toBe(0);
    expect(await text(page, `${filteredRow} [data-filtered-by]`)).toBe(`rule: ${FILTER_NAME}`);
    await page.click(`${filteredRow} button[data-action="dry-run"]`);
    await page.waitForFunction(
      `(document.querySelector('#dry-run h4')?.textContent ?? '').endsWith(${JSON.stringify(seeded.filteredEventId)})`,
    );
    expect(await text(page, '#dry-run')).toContain(`${FILTER_NAME} (reported, not applied to a replay)`);

    // The refused delivery, retried by hand once the receiver is back. The automatic schedule
    // retries after a minute: the click must not meet that attempt (409 attempt_in_flight) nor
    // follow its success. So the receiver keeps answering 500 until the delivery's next automatic
    // attempt is comfortably far off, waiting for a near one to run (and fail) first.
    const delivery = `#delivery-list tr[data-delivery="${seeded.deliveryId}"]`;
    expect(await evaluate<string>(page, `document.querySelector('${delivery}').dataset.status`)).toBe('retrying');
    await eventually(
      async () => {
        const current = await api('GET', `/api/v1/deliveries/${seeded.deliveryId}`);
        const next = Date.parse(String(current.json.nextAttemptAt ?? ''));
        return current.json.status === 'retrying' && next - Date.now() > SAFE_BEFORE_NEXT_ATTEMPT_MS;
      },
      150_000,
      250,
    );
    receiver.respond(answer(200, {}, 'ok'));
    await page.click(`${delivery} button[data-action="retry"]`);
    await page.waitForFunction("document.getElementById('delivery-result').getAttribute('data-outcome') !== null");
    expect(await text(page, '#delivery-result')).toContain('the delivery is now succeeded');

    // Nothing executed, nothing blocked or thrown, the key kept nowhere, no other origin asked.
    expect(await evaluate<unknown>(page, 'window.__pwned')).toBeUndefined();
    expect(await count(page, 'img, script:not([src])')).toBe(0);
    expect(await evaluate<number>(page, 'localStorage.length + sessionStorage.length')).toBe(0);
    expect(await evaluate<string>(page, 'document.cookie')).toBe('');
    expect(page.url()).toBe(`${host.baseUrl}/api/console`);
    expect(requests.every((url) => url.startsWith(`${host.baseUrl}/api/`))).toBe(true);
    expect(requests.some((url) => url.includes(key))).toBe(false);
    expect(await cspViolations(page)).toEqual([]);
    expect(unexpected(problems)).toEqual([]);

    // Forgetting the key clears what was shown.
    await page.click('#key-forget');
    expect(await count(page, '#integration-cards .card')).toBe(0);
    // Room for a wait on the automatic retry schedule (see the delivery step).
  }, 240_000);
});
