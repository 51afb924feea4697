import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import {
  diskAzuriteEnv,
  type HostProcess,
  sharedAzuriteEnv,
  startHostProcess,
  uniqueName,
} from '../support/host-process';
import { call, eventually } from '../support/http';
import { answer, type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * Outbound delivery on the local host, from outside: subscriptions and publish over the API, the
 * Durable orchestration with real durable timers, and the schedule walked in virtual time by moving
 * the host's clock (LOCAL_TIME_SCALE=1, so a timer fires exactly when the clock reaches its fire
 * time). The kill-and-restart case runs on a disk-backed Azurite.
 */
interface Attempt {
  n: number;
  at: string;
  trigger: string;
  statusCode: number | null;
  durationMs: number;
  nextAttemptAt?: string;
}
interface Delivery {
  id: string;
  status: string;
  attempts: Attempt[];
  nextAttemptAt?: string;
}

const hosts: HostProcess[] = [];
const receivers: Receiver[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const h of hosts) await h.kill();
  for (const r of receivers) await r.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const STEPS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000];

async function start(env: Record<string, string>): Promise<HostProcess> {
  const host = await startHostProcess(env);
  hosts.push(host);
  return host;
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver(answer(500, {}, 'nope'));
  receivers.push(r);
  return r;
}

function api(host: HostProcess, key: string) {
  return {
    post: (path: string, body: unknown) => call(host.baseUrl, 'POST', path, { key, body }),
    get: (path: string) => call(host.baseUrl, 'GET', path, { key }),
  };
}

async function subscribeAndPublish(host: HostProcess, key: string, url: string) {
  const client = api(host, key);
  const created = await client.post('/api/v1/subscriptions', { url, eventTypes: ['ticket.*'] });
  expect(created.status).toBe(201);
  const published = await client.post('/api/v1/events/publish', {
    type: 'ticket.created',
    data: { ticketId: 'T-9', title: 'Printer on fire' },
  });
  expect(published.status).toBe(202);
  expect(published.json).toMatchObject({ deliveries: 1 });
  const list = await client.get(`/api/v1/deliveries?subscriptionId=${String(created.json.id)}`);
  const items = list.json.items as { id: string }[];
  expect(items).toHaveLength(1);
  return { subscriptionId: String(created.json.id), secret: String(created.json.secret), deliveryId: items[0]!.id };
}

async function delivery(host: HostProcess, key: string, id: string): Promise<Delivery> {
  return (await api(host, key).get(`/api/v1/deliveries/${id}`)).json as unknown as Delivery;
}

/** Wait until attempt `k` is logged and its next attempt scheduled (or the delivery has ended). */
async function waitForAttempt(host: HostProcess, key: string, id: string, k: number): Promise<Delivery> {
  return eventually(async () => {
    const d = await delivery(host, key, id);
    const last = d.attempts[k - 1];
    if (!last) return undefined;
    // The attempt row is written first, the delivery and the next attempt time after it.
    const ended = d.status === 'succeeded' || d.status === 'failed';
    if (!ended && (!last.nextAttemptAt || d.nextAttemptAt !== last.nextAttemptAt)) return undefined;
    return d;
  }, 30_000);
}

/** The host's clock now (its offset clock, in milliseconds). */
async function hostNow(host: HostProcess): Promise<number> {
  return Date.parse(
    String((await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 0 } })).json.now),
  );
}

/** Move the host clock exactly to `iso` (the durable timer's fire time). */
async function advanceTo(host: HostProcess, iso: string): Promise<void> {
  const now = Date.parse(
    String((await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 0 } })).json.now),
  );
  const advanceMs = Math.max(0, Date.parse(iso) - now);
  expect((await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs } })).status).toBe(200);
}

describe('outbound delivery schedule on the local host (virtual time)', () => {
  const env = sharedAzuriteEnv({ LOCAL_TIME_SCALE: '1' });
  const key = env.BOOTSTRAP_API_KEY!;

  it('a receiver failing everything sees attempts at t0, +1 m, +6 m, +36 m and +2 h 36 m; then failed with 5 attempts', async () => {
    const host = await start(env);
    const r = await receiver();
    const { deliveryId, secret } = await subscribeAndPublish(host, key, r.url);
    let d = await waitForAttempt(host, key, deliveryId, 1);
    // planned[k]: when attempt k+1 was due; scheduled[k]: the host clock once that due time was
    // visible; seen[k]: the host clock once the attempt was seen to have run.
    const planned: number[] = [0];
    const scheduled: number[] = [0];
    const seen: number[] = [0];
    for (let k = 1; k <= 4; k++) {
      expect(d.status).toBe('retrying');
      planned[k] = Date.parse(d.nextAttemptAt!);
      scheduled[k] = await hostNow(host);
      await advanceTo(host, d.nextAttemptAt!);
      d = await waitForAttempt(host, key, deliveryId, k + 1);
      seen[k] = await hostNow(host);
    }
    d = await eventually(async () => {
      const x = await delivery(host, key, deliveryId);
      return x.status === 'failed' ? x : undefined;
    });
    expect(d.attempts).toHaveLength(5);
    expect(d.attempts.map((a) => a.trigger)).toEqual(['initial', 'automatic', 'automatic', 'automatic', 'automatic']);
    const at = d.attempts.map((a) => Date.parse(a.at));
    const t0 = at[0]!;
    let durations = 0;
    for (let k = 1; k < 5; k++) {
      const previousEnd = at[k - 1]! + d.attempts[k - 1]!.durationMs;
      durations += d.attempts[k - 1]!.durationMs;
      // Each wait runs from the end of the failed attempt: the next attempt is due one step after it
      // ended, never sooner, and at the latest one step after the test saw it scheduled; it runs
      // no earlier than due and no later than when the test saw it. How long the host takes
      // between those points depends on the machine's load, so no wall-clock window is asserted.
      expect(planned[k]! - previousEnd).toBeGreaterThanOrEqual(STEPS_MS[k - 1]!);
      expect(planned[k]!).toBeLessThanOrEqual(scheduled[k]! + STEPS_MS[k - 1]!);
      expect(at[k]!).toBeGreaterThanOrEqual(planned[k]!);
      expect(at[k]!).toBeLessThanOrEqual(seen[k]!);
      const expected = [60_000, 360_000, 2_160_000, 9_360_000][k - 1]!;
      expect(at[k]! - t0 - expected).toBeGreaterThanOrEqual(durations);
    }
    // Every attempt reached the receiver once, signed, and verifiable with the standardwebhooks package.
    expect(r.received.map((x) => x.headers['x-webhook-attempt'])).toEqual(['1', '2', '3', '4', '5']);
    for (const got of r.received) {
      expect(got.headers['webhook-id']).toBe(deliveryId);
      // The receiver checks the timestamp against its own clock; the host's ran ahead, so check the signature only.
      const headers = {
        ...(got.headers as Record<string, string>),
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      };
      const resigned = new Webhook(secret).sign(
        deliveryId,
        new Date(Number(got.headers['webhook-timestamp']) * 1000),
        got.body,
      );
      expect(got.headers['webhook-signature']).toBe(resigned);
      expect(() => new Webhook(secret).verify(got.body, { ...headers, 'webhook-signature': 'v1,AAAA' })).toThrow();
    }
    // No secret in any Durable history or instance row.
    const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
    const body = secret.slice('whsec_'.length);
    for (const table of [`${env.DURABLE_TASK_HUB}LocalHistory`, `${env.DURABLE_TASK_HUB}LocalInstances`]) {
      let rows = 0;
      for await (const row of account.table(table).listEntities()) {
        rows++;
        const text = JSON.stringify(row);
        expect(text).not.toContain(body.slice(0, 16));
        expect(text).not.toContain(body.slice(-16));
      }
      expect(rows).toBeGreaterThan(0);
    }
    await host.stop();
  }, 180_000);

  it('a receiver that fails attempts 1 and 2 and accepts the third: succeeded with 3 attempts', async () => {
    const host = await start({
      ...env,
      DURABLE_TASK_HUB: uniqueName('Hub'),
      BOOTSTRAP_TENANT_ID: uniqueName('tenant-'),
    });
    const r = await receiver();
    r.respond((_req, n, res) => {
      res.writeHead(n >= 3 ? 200 : 503).end();
    });
    const { deliveryId } = await subscribeAndPublish(host, key, r.url);
    let d = await waitForAttempt(host, key, deliveryId, 1);
    await advanceTo(host, d.nextAttemptAt!);
    d = await waitForAttempt(host, key, deliveryId, 2);
    await advanceTo(host, d.nextAttemptAt!);
    d = await eventually(async () => {
      const x = await delivery(host, key, deliveryId);
      return x.status === 'succeeded' ? x : undefined;
    });
    expect(d.attempts.map((a) => a.statusCode)).toEqual([503, 503, 200]);
    // A manual retry afterwards is logged as manual and leaves the status as it is.
    const manual = await api(host, key).post(`/api/v1/deliveries/${deliveryId}/retry`, {});
    expect(manual.status).toBe(200);
    expect(manual.json).toMatchObject({ status: 'succeeded', attempt: { n: 4, trigger: 'manual', statusCode: 200 } });
    expect(r.received.map((x) => x.headers['x-webhook-attempt-trigger'])).toEqual([
      'initial',
      'automatic',
      'automatic',
      'manual',
    ]);
    // Event data is validated per type; nothing is published when it is wrong.
    const invalid = await api(host, key).post('/api/v1/events/publish', { type: 'ticket.created', data: { title: 1 } });
    expect(invalid.status).toBe(400);
    expect(invalid.json.code).toBe('validation_failed');
    // The catalogue and the API description.
    const types = await api(host, key).get('/api/v1/event-types');
    expect((types.json.items as { type: string; schema: unknown; example: unknown }[]).map((t) => t.type)).toEqual([
      'ticket.created',
      'alert.triggered',
      'company.updated',
      'company.created',
      'invoice.created',
      'company.deleted',
      'contact.created',
      'contact.updated',
      'contact.deleted',
    ]);
    const openapi = await call(host.baseUrl, 'GET', '/api/v1/openapi.json');
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.json.paths as object)).toEqual(
      expect.arrayContaining([
        '/v1/subscriptions',
        '/v1/subscriptions/{id}/rotate-secret',
        '/v1/events/publish',
        '/v1/deliveries/{id}/retry',
        '/v1/event-types',
      ]),
    );
    await host.stop();
  }, 120_000);
});

describe('outbound delivery across a host restart', () => {
  it('killed during the 30-minute wait, the restarted host resumes the same orchestration and sends each attempt once', async () => {
    const location = mkdtempSync(join(tmpdir(), 'hub-outbound-'));
    dirs.push(location);
    const env = diskAzuriteEnv(location, {
      LOCAL_TIME_SCALE: '1',
    });
    const key = env.BOOTSTRAP_API_KEY!;
    const r = await receiver();
    const first = await start(env);
    const { deliveryId } = await subscribeAndPublish(first, key, r.url);
    let d = await waitForAttempt(first, key, deliveryId, 1);
    await advanceTo(first, d.nextAttemptAt!);
    d = await waitForAttempt(first, key, deliveryId, 2);
    await advanceTo(first, d.nextAttemptAt!);
    d = await waitForAttempt(first, key, deliveryId, 3);
    expect(d.status).toBe('retrying');
    const fireAt = d.nextAttemptAt!;
    expect(Date.parse(fireAt) - Date.parse(d.attempts[2]!.at)).toBeGreaterThanOrEqual(30 * 60_000);
    await first.kill();

    r.respond(answer(200, {}, 'thanks'));
    const second = await start(env);
    // Still waiting: nothing was sent while the host was down, and the restart sent nothing by itself.
    expect((await delivery(second, key, deliveryId)).attempts).toHaveLength(3);
    expect(r.received).toHaveLength(3);
    await advanceTo(second, fireAt);
    d = await eventually(async () => {
      const x = await delivery(second, key, deliveryId);
      return x.status === 'succeeded' ? x : undefined;
    }, 45_000);
    expect(d.attempts.map((a) => [a.n, a.trigger, a.statusCode])).toEqual([
      [1, 'initial', 500],
      [2, 'automatic', 500],
      [3, 'automatic', 500],
      [4, 'automatic', 200],
    ]);
    expect(r.received.map((x) => x.headers['x-webhook-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(new Set(r.received.map((x) => x.headers['webhook-id']))).toEqual(new Set([deliveryId]));
    await second.stop();
  }, 180_000);
});
