import { afterAll, describe, expect, it } from 'vitest';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';
import { answer, type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * The first attempt on the local host, from outside: publish over the API, the first-attempt queue
 * worker sends it, and only a delivery whose first attempt fails gets a Durable instance (the
 * host's instance table is read directly).
 */
const hosts: HostProcess[] = [];
const receivers: Receiver[] = [];
afterAll(async () => {
  for (const h of hosts) await h.kill();
  for (const r of receivers) await r.close();
});

interface Delivery {
  id: string;
  status: string;
  attempts: { n: number; trigger: string; statusCode: number | null }[];
  nextAttemptAt?: string;
}

describe('the first attempt from the queue worker on the local host', () => {
  it('a delivery that succeeds at once leaves no Durable instance; one that fails gets exactly one, named by its id', async () => {
    const env = sharedAzuriteEnv();
    const key = env.BOOTSTRAP_API_KEY!;
    const host = await startHostProcess(env);
    hosts.push(host);
    const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
    const instanceIds = async (): Promise<string[]> => {
      const ids: string[] = [];
      try {
        for await (const row of account.table(`${env.DURABLE_TASK_HUB}LocalInstances`).listEntities())
          ids.push(String(row.rowKey ?? ''), String(row.partitionKey ?? ''));
      } catch (error) {
        // No instance ever written: the engine has not created its table.
        if (!/TableNotFound|404/.test(String(error))) throw error;
      }
      return ids;
    };
    const deliveryOf = async (url: string): Promise<Delivery> => {
      const created = await call(host.baseUrl, 'POST', '/api/v1/subscriptions', {
        key,
        body: { url, eventTypes: ['ticket.*'] },
      });
      expect(created.status).toBe(201);
      const published = await call(host.baseUrl, 'POST', '/api/v1/events/publish', {
        key,
        body: { type: 'ticket.created', data: { ticketId: 'T-5', title: 'Fan noise' } },
      });
      expect(published.status).toBe(202);
      const list = await call(host.baseUrl, 'GET', `/api/v1/deliveries?subscriptionId=${String(created.json.id)}`, {
        key,
      });
      return (list.json.items as Delivery[])[0]!;
    };

    const ok = await startReceiver(answer(200, {}, 'ok'));
    receivers.push(ok);
    const good = await deliveryOf(ok.url);
    const settled = await eventually(async () => {
      const d = (await call(host.baseUrl, 'GET', `/api/v1/deliveries/${good.id}`, { key })).json as unknown as Delivery;
      return d.status === 'succeeded' ? d : undefined;
    }, 30_000);
    expect(settled.attempts.map((a) => [a.n, a.trigger, a.statusCode])).toEqual([[1, 'initial', 200]]);
    expect(ok.received).toHaveLength(1);
    expect(await instanceIds()).not.toContain(good.id);

    const failing = await startReceiver(answer(503, {}, 'busy'));
    receivers.push(failing);
    const bad = await deliveryOf(failing.url);
    // Attempt 1 recorded by the worker, the next one scheduled by the orchestration it started.
    const waiting = await eventually(async () => {
      const d = (await call(host.baseUrl, 'GET', `/api/v1/deliveries/${bad.id}`, { key })).json as unknown as Delivery;
      return d.status === 'retrying' && d.nextAttemptAt ? d : undefined;
    }, 30_000);
    expect(waiting.attempts.map((a) => [a.n, a.trigger, a.statusCode])).toEqual([[1, 'initial', 503]]);
    expect(failing.received).toHaveLength(1);
    expect(await instanceIds()).toContain(bad.id);
    expect(await instanceIds()).not.toContain(good.id);
    await host.stop();
  }, 150_000);
});
