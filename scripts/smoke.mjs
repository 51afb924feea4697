#!/usr/bin/env node
// The deployed smoke test (docs/runbooks/smoke-test.md): run after `azd up` against the function
// app's base URL. It uses public API routes only, with the operator key: it creates a throwaway
// tenant, a generic webhook and (with --receiver) an outbound subscription, checks the hub end to
// end through them, and cleans up after itself (subscription and webhook deleted, tenant disabled —
// tenants are never deleted through the API). No secret is ever printed.
//
//   npm run smoke -- <base url> --key <operator key> [--functions-key <key>] [--receiver <url>] [--timeout <s>]
//
// Exit codes: 0 every check passed; 1 a check failed (or the arguments are wrong); 2 every check
// that ran passed but the Durable delivery check was skipped (no --receiver).
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { z } from 'zod';

const USAGE =
  'usage: npm run smoke -- <base url> --key <operator key> [--functions-key <key>] [--receiver <url>] [--timeout <seconds>]';

/** @param {string[]} argv */
export function parseArguments(argv) {
  /** @type {{ baseUrl?: string; key?: string; functionsKey?: string; receiver?: string; timeoutMs: number }} */
  const out = { timeoutMs: 180_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === '--key') out.key = value();
    else if (arg === '--functions-key') out.functionsKey = value();
    else if (arg === '--receiver') out.receiver = value();
    else if (arg === '--timeout') out.timeoutMs = Number(value()) * 1000;
    else if (arg?.startsWith('--')) throw new Error(`unknown option ${arg}\n${USAGE}`);
    else if (out.baseUrl === undefined) out.baseUrl = arg;
    else throw new Error(`unexpected argument ${arg}\n${USAGE}`);
  }
  out.key ??= process.env.SMOKE_OPERATOR_KEY;
  out.functionsKey ??= process.env.SMOKE_FUNCTIONS_KEY;
  if (!out.baseUrl || !/^https?:\/\//.test(out.baseUrl))
    throw new Error(`a base URL (http[s]://…) is required\n${USAGE}`);
  if (!out.key) throw new Error(`the operator key is required (--key or SMOKE_OPERATOR_KEY)\n${USAGE}`);
  if (!Number.isFinite(out.timeoutMs) || out.timeoutMs <= 0) throw new Error(`--timeout takes seconds\n${USAGE}`);
  return { ...out, baseUrl: out.baseUrl.replace(/\/+$/, '') };
}

// What the checks read from the API: parsed at the boundary, so a changed answer fails loudly.
const createdTenant = z.object({ id: z.string(), adminKey: z.object({ key: z.string() }) });
const createdWebhook = z.object({ id: z.string(), secret: z.string() });
const accepted = z.object({ eventId: z.string() });
const eventDetail = z.object({
  status: z.string(),
  failure: z.object({ stage: z.string(), errorType: z.string(), message: z.string() }).nullable(),
});
const integrationStatus = z.object({}).loose();
const createdSubscription = z.object({ id: z.string() });
const published = z.object({ eventId: z.string(), deliveries: z.number() });
const deliveryList = z.object({
  items: z.array(
    z.object({ id: z.string(), eventId: z.string(), status: z.string(), statusReason: z.string().optional() }),
  ),
});

/**
 * One HTTP exchange. `chunks` sends the body as several writes without a Content-Length, so Node
 * uses Transfer-Encoding: chunked — the path a vendor that streams its body takes.
 * @param {string} url
 * @param {{ method?: string; headers?: Record<string, string>; body?: string; chunks?: string[] }} [options]
 * @returns {Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; text: string; json: unknown }>}
 */
function exchange(url, options = {}) {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = send(target, { method: options.method ?? 'GET', headers }, (res) => {
      /** @type {Buffer[]} */
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${target.origin} within 30 s`)));
    req.on('error', reject);
    if (options.chunks) {
      for (const chunk of options.chunks) req.write(chunk);
    } else if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Standard Webhooks signature headers for a generic webhook's `whsec_` secret. */
function standardWebhookHeaders(secret, body) {
  const id = `smoke_${randomUUID()}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the smoke test; returns the exit code. `log` receives one line per check.
 * @param {ReturnType<typeof parseArguments>} options
 * @param {(line: string) => void} [log]
 */
export async function runSmoke(options, log = (line) => console.log(line)) {
  const { baseUrl, functionsKey } = options;
  const deadline = Date.now() + options.timeoutMs;
  const base = functionsKey ? { 'x-functions-key': functionsKey } : {};
  /** @param {string} method @param {string} path @param {string | undefined} key @param {unknown} [body] */
  const api = (method, path, key, body) =>
    exchange(`${baseUrl}${path}`, {
      method,
      headers: {
        ...base,
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  /** @template T @param {string} what @param {() => Promise<T | undefined>} probe @returns {Promise<T>} */
  const until = async (what, probe) => {
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what}: not reached within ${options.timeoutMs / 1000} s`);
      await sleep(2_000);
    }
  };
  /** @param {{ status: number; text: string }} res @param {number} expected @param {string} what */
  const expectStatus = (res, expected, what) => {
    if (res.status !== expected) {
      // The body is a problem+json from the hub: it never carries a secret.
      throw new Error(`${what}: expected ${expected}, got ${res.status} ${res.text.slice(0, 300)}`);
    }
  };

  let failed = false;
  let skipped = false;
  /** @type {Array<() => Promise<void>>} */
  const cleanup = [];
  /** @param {string} name @param {() => Promise<string>} check */
  const step = async (name, check) => {
    if (failed) return;
    try {
      log(`PASS ${name}: ${await check()}`);
    } catch (error) {
      failed = true;
      log(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  /** @type {{ id: string; adminKey: { key: string } } | undefined} */
  let tenant;
  /** @type {{ id: string; secret: string } | undefined} */
  let webhook;
  /** @type {string | undefined} */
  let eventId;

  await step('create a throwaway tenant (operator key)', async () => {
    const res = await api('POST', '/api/v1/tenants', options.key, { name: `smoke ${new Date().toISOString()}` });
    expectStatus(res, 201, 'POST /api/v1/tenants');
    tenant = createdTenant.parse(res.json);
    const id = tenant.id;
    cleanup.unshift(async () => {
      const off = await api('POST', `/api/v1/tenants/${encodeURIComponent(id)}/disable`, options.key);
      log(`${off.status === 200 ? 'PASS' : 'WARN'} clean-up: tenant ${id} disabled (${off.status})`);
    });
    return `tenant ${id}`;
  });

  await step('create a generic webhook', async () => {
    const res = await api('POST', '/api/v1/webhooks', tenant?.adminKey.key, { name: 'smoke test' });
    expectStatus(res, 201, 'POST /api/v1/webhooks');
    webhook = createdWebhook.parse(res.json);
    const id = webhook.id;
    cleanup.unshift(async () => {
      const gone = await api('DELETE', `/api/v1/webhooks/${encodeURIComponent(id)}`, tenant?.adminKey.key);
      log(
        `${gone.status === 204 || gone.status === 200 ? 'PASS' : 'WARN'} clean-up: webhook ${id} deleted (${gone.status})`,
      );
    });
    return `webhook ${id}`;
  });

  await step('chunked, signed POST to the webhook', async () => {
    if (!webhook) throw new Error('no webhook');
    const body = JSON.stringify({
      type: 'smoke.check',
      subject: `hub smoke test ${randomBytes(4).toString('hex')}`,
      data: { sentAt: new Date().toISOString() },
    });
    const half = Math.floor(body.length / 2);
    const res = await exchange(`${baseUrl}/api/hooks/${encodeURIComponent(webhook.id)}`, {
      method: 'POST',
      headers: { ...base, 'content-type': 'application/json', ...standardWebhookHeaders(webhook.secret, body) },
      chunks: [body.slice(0, half), body.slice(half)],
    });
    expectStatus(res, 202, 'POST /api/hooks/{id}');
    eventId = accepted.parse(res.json).eventId;
    return `202, event ${eventId}`;
  });

  await step('GET /api/v1/integrations/status', async () => {
    const res = await api('GET', '/api/v1/integrations/status', tenant?.adminKey.key);
    expectStatus(res, 200, 'GET /api/v1/integrations/status');
    integrationStatus.parse(res.json);
    return '200';
  });

  await step('a stage message dead-lettered on purpose reaches the Failure Analysis', async () => {
    // The throwaway tenant has no SOPs: SOP matching dead-letters the event as no_sop_matched, and
    // the dead-letter consumer writes its failure record — the dead-letter path end to end.
    const failure = await until('the event’s failure record', async () => {
      const res = await api('GET', `/api/v1/events/${encodeURIComponent(eventId ?? '')}`, tenant?.adminKey.key);
      if (res.status !== 200) return undefined;
      const event = eventDetail.parse(res.json);
      return event.failure ? event.failure : undefined;
    });
    if (failure.stage !== 'sop_matching' || failure.errorType !== 'no_sop_matched') {
      throw new Error(
        `expected sop_matching / no_sop_matched, got ${failure.stage} / ${failure.errorType}: ${failure.message}`,
      );
    }
    return `${failure.stage} / ${failure.errorType}`;
  });

  if (!options.receiver) {
    skipped = true;
    if (!failed) log('SKIP a Durable delivery started and completed: pass --receiver <url that answers 2xx>');
  } else {
    const receiver = options.receiver;
    /** @type {string | undefined} */
    let subscriptionId;
    await step('subscribe the receiver to ticket.created', async () => {
      const res = await api('POST', '/api/v1/subscriptions', tenant?.adminKey.key, {
        url: receiver,
        eventTypes: ['ticket.created'],
        description: 'smoke test',
      });
      expectStatus(res, 201, 'POST /api/v1/subscriptions');
      const id = createdSubscription.parse(res.json).id;
      subscriptionId = id;
      cleanup.unshift(async () => {
        const gone = await api('DELETE', `/api/v1/subscriptions/${encodeURIComponent(id)}`, tenant?.adminKey.key);
        log(
          `${gone.status === 204 || gone.status === 200 ? 'PASS' : 'WARN'} clean-up: subscription ${id} deleted (${gone.status})`,
        );
      });
      return `subscription ${id}`;
    });
    await step('a Durable delivery started and completed', async () => {
      const res = await api('POST', '/api/v1/events/publish', tenant?.adminKey.key, {
        type: 'ticket.created',
        data: { ticketId: `SMOKE-${randomBytes(3).toString('hex')}`, title: 'Hub smoke test' },
      });
      expectStatus(res, 202, 'POST /api/v1/events/publish');
      const publishedEvent = published.parse(res.json);
      if (publishedEvent.deliveries !== 1) throw new Error(`expected 1 delivery, got ${publishedEvent.deliveries}`);
      const delivery = await until('the delivery', async () => {
        const list = await api(
          'GET',
          `/api/v1/deliveries?subscriptionId=${encodeURIComponent(subscriptionId ?? '')}`,
          tenant?.adminKey.key,
        );
        if (list.status !== 200) return undefined;
        const found = deliveryList.parse(list.json).items.find((d) => d.eventId === publishedEvent.eventId);
        return found && (found.status === 'succeeded' || found.status === 'failed') ? found : undefined;
      });
      if (delivery.status !== 'succeeded') {
        throw new Error(`delivery ${delivery.id} ${delivery.status}: ${delivery.statusReason ?? ''}`);
      }
      return `delivery ${delivery.id} succeeded`;
    });
  }

  for (const undo of cleanup) {
    try {
      await undo();
    } catch (error) {
      log(`WARN clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failed) return 1;
  return skipped ? 2 : 0;
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  let options;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  runSmoke(options).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`smoke test crashed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
