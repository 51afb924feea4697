import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { resetSettingsCache } from '../../shared/config/settings';
import { loadEvent } from '../../shared/events/event-store';
import { AutotaskFake } from '../fakes/autotask';
import { arrangeDiskFullSop, postAutotaskTicket } from '../support/autotask-pipeline';
import { diskAzuriteEnv, type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * Outbound delivery started from places that are not HTTP functions, on the local host:
 * 1. the pipeline — a signed Autotask webhook runs its SOP, the event ends `succeeded`, and the
 *    agent-execution stage publishes `ticket.created`, the first-attempt queue worker sends it:
 *    a subscriber's loopback receiver gets the signed delivery;
 * 2. the start sweep (a timer with the durable client binding) — the host dies between writing a
 *    delivery and starting its orchestration; after a restart the sweep starts it.
 */
const hosts: HostProcess[] = [];
const receivers: Receiver[] = [];
const dirs: string[] = [];
const autotask = new AutotaskFake();

afterAll(async () => {
  for (const h of hosts) await h.kill();
  for (const r of receivers) await r.close();
  await autotask.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

async function start(env: Record<string, string>): Promise<HostProcess> {
  const host = await startHostProcess(env);
  hosts.push(host);
  return host;
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

interface Delivery {
  id: string;
  status: string;
  eventId: string;
  attempts: Array<{ n: number; trigger: string; statusCode: number | null }>;
}

describe('the pipeline publishes a succeeded event to subscribers', () => {
  it('signed Autotask webhook → SOP → succeeded → the subscriber receives a signed ticket.created', async () => {
    await autotask.start();
    const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual' });
    const key = env.BOOTSTRAP_API_KEY!;
    const tenantId = env.BOOTSTRAP_TENANT_ID!;
    process.env.DataStorage = env.DataStorage!;
    process.env.BUS_MODE = 'storage-queues';
    process.env.HUB_ENVIRONMENT = 'development';
    resetSettingsCache();
    const host = await start(env);
    const r = await receiver();

    const subscription = await call(host.baseUrl, 'POST', '/api/v1/subscriptions', {
      key,
      body: { url: r.url, eventTypes: ['ticket.*'], products: ['autotask'] },
    });
    expect(subscription.status).toBe(201);
    const secret = String(subscription.json.secret);

    const { integration, sop, webhook } = await arrangeDiskFullSop(host.baseUrl, key, autotask.baseUrl);
    expect(integration.status).toBe(201);
    expect(sop.status).toBe(201);
    expect(webhook.status).toBe(201);

    const received = await postAutotaskTicket(
      host.baseUrl,
      { id: String(webhook.json.id), secret: String(webhook.json.secret) },
      { id: 4711, fields: { Title: 'Disk full on SRV01', Priority: 1, CompanyID: 29684 } },
    );
    expect(received.status).toBe(202);
    const eventId = String(received.json.eventId);

    const event = await eventually(async () => {
      const found = await loadEvent(tenantId, eventId);
      return found && ['succeeded', 'failed'].includes(found.status) ? found : undefined;
    }, 60_000);
    expect(event.status).toBe('succeeded');

    // No sweep runs here (LOCAL_TIMERS=manual): the stage itself started the delivery.
    const hit = await eventually(async () => r.received[0], 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nhost:\n${host.output().slice(-4000)}`);
    });
    const payload = new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>) as {
      type: string;
      eventId: string;
      data: Record<string, unknown>;
    };
    expect(payload).toMatchObject({
      type: 'ticket.created',
      eventId,
      data: { ticketId: '4711', title: 'Disk full on SRV01', priority: 'high', company: { id: '29684' } },
    });
    expect(hit.headers['x-webhook-event']).toBe('ticket.created');
    expect(hit.headers['x-webhook-attempt-trigger']).toBe('initial');
    expect(hit.headers['x-webhook-signature']).toBe(
      `sha256=${createHmac('sha256', secret).update(hit.body).digest('hex')}`,
    );

    const delivery = await eventually(async () => {
      const list = await call(
        host.baseUrl,
        'GET',
        `/api/v1/deliveries?subscriptionId=${String(subscription.json.id)}`,
        { key },
      );
      const [first] = list.json.items as Delivery[];
      return first?.status === 'succeeded' ? first : undefined;
    }, 30_000);
    expect(delivery.eventId).toBe(eventId);
    expect(r.received).toHaveLength(1);
  }, 150_000);
});

describe('the start sweep on the local host', () => {
  it('the host dies between the delivery rows and the start; after a restart the sweep timer starts the delivery once', async () => {
    // Its own disk-backed Azurite: the sweep looks across tenants, and the host is killed.
    const location = mkdtempSync(join(tmpdir(), 'hub-sweep-'));
    dirs.push(location);
    const env = diskAzuriteEnv(location, {
      LOCAL_TIMERS: 'manual',
    });
    const key = env.BOOTSTRAP_API_KEY!;
    const r = await receiver();

    const first = await start({ ...env, LOCAL_CRASH_POINTS: 'outbound.publish.after-rows' });
    const created = await call(first.baseUrl, 'POST', '/api/v1/subscriptions', {
      key,
      body: { url: r.url, eventTypes: ['ticket.*'] },
    });
    expect(created.status).toBe(201);
    await expect(
      call(first.baseUrl, 'POST', '/api/v1/events/publish', {
        key,
        body: { type: 'ticket.created', data: { ticketId: 'T-1', title: 'Printer on fire' } },
      }),
    ).rejects.toThrow();
    await first.exited;

    const second = await start(env);
    const list = await call(second.baseUrl, 'GET', '/api/v1/deliveries', { key });
    const items = list.json.items as Delivery[];
    expect(items.map((d) => d.status)).toEqual(['pending']);
    const deliveryId = items[0]!.id;

    // Within the grace period the sweep leaves it alone.
    expect((await call(second.baseUrl, 'POST', '/admin/functions/outbound-start-sweep', {})).status).toBeLessThan(300);
    expect(r.received).toHaveLength(0);
    expect((await call(second.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: 120_000 } })).status).toBe(
      200,
    );
    expect((await call(second.baseUrl, 'POST', '/admin/functions/outbound-start-sweep', {})).status).toBeLessThan(300);
    const done = await eventually(async () => {
      const d = (await call(second.baseUrl, 'GET', `/api/v1/deliveries/${deliveryId}`, { key }))
        .json as unknown as Delivery;
      return d.status === 'succeeded' ? d : undefined;
    }, 30_000);
    expect(done.attempts.map((a) => [a.n, a.trigger, a.statusCode])).toEqual([[1, 'initial', 200]]);
    // A second sweep finds nothing to start: still one request.
    expect((await call(second.baseUrl, 'POST', '/admin/functions/outbound-start-sweep', {})).status).toBeLessThan(300);
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.headers['webhook-id']).toBe(deliveryId);
    await second.stop();
  }, 180_000);
});
