import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AutotaskFake } from '../fakes/autotask';
import { arrangeDiskFullSop, postAutotaskTicket } from '../support/autotask-pipeline';
import { diskAzuriteEnv, type HostProcess, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * The pipeline's publication attempts each delivery in the stage's own invocation, and inserts
 * those rows unfiled — without the status key the start sweep finds waiting deliveries by
 * (docs/outbound.md, "The first attempt in the publishing process"). Here the host is killed at
 * each step of that publication, restarted on the same disk-backed Azurite with no timer running,
 * and the stage message alone — delivered again once its lock expires — brings every delivery to
 * `succeeded`, with attempt 1 recorded once and every request under the same `webhook-id`.
 */
const dirs: string[] = [];
const hosts: HostProcess[] = [];
const receivers: Receiver[] = [];
const autotask = new AutotaskFake();

afterAll(async () => {
  for (const h of hosts) await h.kill();
  for (const r of receivers) await r.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
  await autotask.stop();
});

interface Delivery {
  id: string;
  status: string;
  eventId: string;
  attempts?: Array<{ n: number; trigger: string; statusCode: number | null }>;
}

/** Where the host dies, and how many requests the receiver has seen when the delivery is settled. */
const CASES = [
  { point: 'outbound.publish.after-rows', requests: 1 },
  { point: 'outbound.first-attempt.after-send', requests: 2 },
] as const;

describe("crash recovery of the pipeline's publication", () => {
  it('kills the host at each step of the inline first attempt; the redelivered stage message settles the delivery, no sweep needed', async () => {
    await autotask.start();
    const location = mkdtempSync(join(tmpdir(), 'hub-publish-crash-'));
    dirs.push(location);
    const env = diskAzuriteEnv(location, {
      // No start sweep: only the stage message can bring an unfiled delivery back.
      LOCAL_TIMERS: 'manual',
      // A message whose handler died is delivered again after this lock expires.
      QUEUE_LOCK_DURATION_SECONDS: '3',
      API_RATE_LIMIT_PER_MINUTE: '100000',
      LOG_LEVEL: 'info',
    });
    const key = env.BOOTSTRAP_API_KEY!;
    let host = await startHostProcess(env);
    hosts.push(host);
    const api = (method: string, path: string, body?: unknown) =>
      call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });

    const receiver = await startReceiver();
    receivers.push(receiver);
    const subscription = await api('POST', '/api/v1/subscriptions', {
      url: receiver.url,
      eventTypes: ['ticket.*'],
      products: ['autotask'],
    });
    expect(subscription.status).toBe(201);
    const { integration, sop, webhook } = await arrangeDiskFullSop(host.baseUrl, key, autotask.baseUrl);
    expect(integration.status).toBe(201);
    expect(sop.status).toBe(201);
    const hook = { id: String(webhook.json.id), secret: String(webhook.json.secret) };

    let ticket = 7100;
    for (const c of CASES) {
      ticket++;
      const before = receiver.received.length;
      const armed = await call(host.baseUrl, 'POST', '/admin/host/crash-points', { body: { name: c.point } });
      expect(armed.status).toBe(200);
      // One Guid for both posts: the second is the same callback again.
      const callback = { id: ticket, fields: { Title: `Disk full on SRV${ticket}` }, guid: randomUUID() };
      const posted = await postAutotaskTicket(host.baseUrl, hook, callback).catch(() => undefined);
      const exitedInTime = await Promise.race([
        host.exited.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 60_000)),
      ]);
      if (!exitedInTime) throw new Error(`${c.point} was never reached\nhost:\n${host.output().slice(-6000)}`);
      host = await startHostProcess(env);
      hosts.push(host);
      // The webhook was accepted before the stages ran (or is accepted again, as a duplicate).
      const eventId = String(
        posted?.json.eventId ?? (await postAutotaskTicket(host.baseUrl, hook, callback)).json.eventId,
      );
      const settled = await eventually(
        async () => {
          const list = await api('GET', `/api/v1/deliveries?subscriptionId=${String(subscription.json.id)}&limit=50`);
          const mine = (list.json.items as Delivery[]).find((d) => d.eventId === eventId);
          return mine?.status === 'succeeded' ? mine : undefined;
        },
        60_000,
        250,
      ).catch((error: unknown) => {
        throw new Error(`${c.point}: ${String(error)}\nhost:\n${host.output().slice(-6000)}`);
      });
      const one = (await api('GET', `/api/v1/deliveries/${settled.id}`)).json as unknown as Delivery;
      expect(
        one.attempts?.map((a) => [a.n, a.trigger, a.statusCode]),
        c.point,
      ).toEqual([[1, 'initial', 200]]);
      const requests = receiver.received.slice(before);
      expect(
        requests.map((m) => m.headers['webhook-id']),
        c.point,
      ).toEqual(Array.from({ length: c.requests }, () => settled.id));
    }
    await host.stop();
  }, 400_000);
});
