import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_CRASH_BEFORE_RECORD } from '../../shared/idempotency/idempotent-call';
import { diskAzuriteEnv, type HostProcess, startHostProcess } from '../support/host-process';
import { type CallResult, call } from '../support/http';
import { answer, type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * Idempotency-Key on the local host, from outside (docs/api.md, "Idempotent requests"): 20
 * concurrent publishes with one key make one event; the same key with another body is 422; a
 * create replayed leaves its secret out; and a host killed between the create and the key's record
 * answers 409 until the claim's lease runs out, then recovers the same event instead of publishing
 * a second one. One disk-backed host, killed and restarted on the same data.
 */
const hosts: HostProcess[] = [];
const receivers: Receiver[] = [];
const dirs: string[] = [];
afterAll(async () => {
  // Stopped, not killed: the host stops its Azurite in order, so nothing still writes into the
  // folder when it is removed (a killed host's Azurite flushes for a while after the host is gone).
  for (const h of hosts) await h.stop();
  for (const r of receivers) await r.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

const LEASE_MS = 5 * 60_000;

async function start(env: Record<string, string>): Promise<HostProcess> {
  const host = await startHostProcess(env);
  hosts.push(host);
  return host;
}

describe('Idempotency-Key on the local host', () => {
  const location = mkdtempSync(join(tmpdir(), 'hub-idempotency-'));
  dirs.push(location);
  const env = diskAzuriteEnv(location, { LOCAL_TIMERS: 'manual', API_RATE_LIMIT_PER_MINUTE: '100000' });
  const key = env.BOOTSTRAP_API_KEY!;
  let host: HostProcess;
  const post = (path: string, body: unknown, idempotencyKey?: string): Promise<CallResult> =>
    call(host.baseUrl, 'POST', path, {
      key,
      body,
      ...(idempotencyKey !== undefined ? { headers: { 'Idempotency-Key': idempotencyKey } } : {}),
    });
  const get = (path: string) => call(host.baseUrl, 'GET', path, { key });
  const event = (title: string) => ({ type: 'ticket.created', data: { ticketId: 'T-1', title } });
  let subscriptionId = '';
  const deliveryCount = async () =>
    ((await get(`/api/v1/deliveries?subscriptionId=${subscriptionId}`)).json.items as unknown[]).length;

  it('a replayed create answers the first result without its secret and creates nothing', async () => {
    host = await start(env);
    const receiver = await startReceiver(answer(200, {}, 'ok'));
    receivers.push(receiver);
    const body = { url: receiver.url, eventTypes: ['ticket.*'] };
    const first = await post('/api/v1/subscriptions', body, 'sub-1');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(typeof first.json.secret).toBe('string');
    subscriptionId = String(first.json.id);

    const again = await post('/api/v1/subscriptions', body, 'sub-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toMatchObject({ id: subscriptionId, secretShownOnce: true });
    expect(again.json).not.toHaveProperty('secret');
    expect(again.text).not.toContain(String(first.json.secret));
    expect((await get('/api/v1/subscriptions')).json.items).toHaveLength(1);

    const apiKey = await post('/api/v1/api-keys', { name: 'ci', scopes: ['events:read'] }, 'key-1');
    expect(apiKey.status).toBe(201);
    const apiKeyAgain = await post('/api/v1/api-keys', { name: 'ci', scopes: ['events:read'] }, 'key-1');
    expect(apiKeyAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(apiKeyAgain.json).toMatchObject({ id: apiKey.json.id, secretShownOnce: true });
    expect(apiKeyAgain.text).not.toContain(String(apiKey.json.key));
  });

  it('20 concurrent publishes with one key create one event and one delivery', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post('/api/v1/events/publish', event('once'), 'publish-1')),
    );
    for (const a of answers) expect([202, 409]).toContain(a.status);
    const ran = answers.filter((a) => a.status === 202 && a.headers.get('idempotent-replayed') === null);
    expect(ran).toHaveLength(1);
    for (const a of answers.filter((x) => x.status === 409)) {
      expect(a.json).toMatchObject({ code: 'idempotency_key_in_flight' });
    }
    const eventId = ran[0]!.json.eventId;
    for (const a of answers.filter((x) => x.status === 202)) expect(a.json.eventId).toBe(eventId);
    const replayed = await post('/api/v1/events/publish', event('once'), 'publish-1');
    expect(replayed.status).toBe(202);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.json).toEqual(ran[0]!.json);
    expect(await deliveryCount()).toBe(1);
  });

  it('the same key with a different request is 422; a malformed key is 400; neither publishes', async () => {
    const reused = await post('/api/v1/events/publish', event('something else'), 'publish-1');
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toContain('application/problem+json');
    expect(reused.json).toMatchObject({ code: 'idempotency_key_reused' });
    for (const bad of ['', 'has space', 'x'.repeat(256)]) {
      const refused = await post('/api/v1/events/publish', event('bad key'), bad);
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ code: 'idempotency_key_invalid' });
    }
    expect(await post('/api/v1/events/publish', event('max'), 'x'.repeat(255))).toMatchObject({ status: 202 });
    expect(await deliveryCount()).toBe(2);
  });

  it('a crash between the publish and the key record: 409 while the lease runs, then the same event, not a second', async () => {
    const before = await deliveryCount();
    const armed = await call(host.baseUrl, 'POST', '/admin/host/crash-points', {
      body: { name: IDEMPOTENCY_CRASH_BEFORE_RECORD },
    });
    expect(armed.status).toBe(200);
    const died = await post('/api/v1/events/publish', event('crash'), 'publish-crash').catch((e: unknown) => e);
    expect(died).toBeInstanceOf(Error);
    await host.exited;
    // The publish happened before the crash: its delivery exists, the key is still in flight.
    host = await start(env);
    expect(await deliveryCount()).toBe(before + 1);
    const inFlight = await post('/api/v1/events/publish', event('crash'), 'publish-crash');
    expect(inFlight.status).toBe(409);
    expect(inFlight.json).toMatchObject({ code: 'idempotency_key_in_flight' });
    expect(inFlight.headers.get('retry-after')).not.toBeNull();

    const advanced = await call(host.baseUrl, 'POST', '/admin/host/clock', { body: { advanceMs: LEASE_MS + 1000 } });
    expect(advanced.status).toBe(200);
    const recovered = await post('/api/v1/events/publish', event('crash'), 'publish-crash');
    expect(recovered.status).toBe(202);
    expect(recovered.json).toMatchObject({ deliveries: 1 });
    expect(await deliveryCount()).toBe(before + 1);
    const deliveries = (await get(`/api/v1/deliveries?subscriptionId=${subscriptionId}`)).json.items as {
      eventId: string;
    }[];
    expect(deliveries.filter((d) => d.eventId === recovered.json.eventId)).toHaveLength(1);

    const replayed = await post('/api/v1/events/publish', event('crash'), 'publish-crash');
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.json).toEqual(recovered.json);
  });
});
