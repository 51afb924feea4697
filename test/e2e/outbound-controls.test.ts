import { afterAll, describe, expect, it } from 'vitest';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';
import { answer, type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * Outbound controls on the local host, from outside: deliveries published while the subscription
 * is paused are listed `held` and reach the receiver only after the resume, in publication order,
 * through the release on the first-attempt queue (shared/outbound/pause.ts), and what is published
 * during the release waits behind it; recover and the rate
 * limit answer bad input with problem+json and run a recover task to its end.
 */
const hosts: HostProcess[] = [];
const receivers: Receiver[] = [];
afterAll(async () => {
  for (const h of hosts) await h.kill();
  for (const r of receivers) await r.close();
});

/** A host of its own, a receiver answering 200 and a subscription of it to `ticket.*`. */
async function hostWithSubscription(fields: Record<string, unknown> = {}) {
  const env = sharedAzuriteEnv();
  const key = env.BOOTSTRAP_API_KEY!;
  const host = await startHostProcess(env);
  hosts.push(host);
  const r = await startReceiver(answer(200, {}, 'ok'));
  receivers.push(r);
  const created = await call(host.baseUrl, 'POST', '/api/v1/subscriptions', {
    key,
    body: { url: r.url, eventTypes: ['ticket.*'], ...fields },
  });
  return { key, host, r, created, id: String(created.json.id) };
}

describe('a paused subscription on the local host', () => {
  it('holds what is published while paused and sends it in order after the resume', async () => {
    const { key, host, r, created, id } = await hostWithSubscription();
    expect(created.status).toBe(201);
    const paused = await call(host.baseUrl, 'POST', `/api/v1/subscriptions/${id}/pause`, { key });
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({ paused: true, release: null });

    const eventIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const published = await call(host.baseUrl, 'POST', '/api/v1/events/publish', {
        key,
        body: { type: 'ticket.created', data: { ticketId: `T-${i}`, title: `ticket ${i}` } },
      });
      expect(published.status).toBe(202);
      expect(published.json).toMatchObject({ deliveries: 1, held: 1, skipped: 0 });
      eventIds.push(String(published.json.eventId));
    }
    const held = await call(host.baseUrl, 'GET', `/api/v1/deliveries?subscriptionId=${id}&status=held`, { key });
    expect((held.json.items as unknown[]).length).toBe(5);
    expect(r.received).toEqual([]);
    // The dashboard counts them, exactly, beside the transactions (two days: a run across midnight).
    const board = await call(host.baseUrl, 'GET', '/api/v1/dashboard?days=2', { key });
    expect(board.status).toBe(200);
    expect(board.json.controls).toEqual({ held: 5, throttled: 0, inboundHeld: 0 });

    const resumed = await call(host.baseUrl, 'POST', `/api/v1/subscriptions/${id}/resume`, { key });
    expect(resumed.status).toBe(200);
    expect(resumed.json).toMatchObject({ paused: false });
    const done = await eventually(async () => {
      const view = await call(host.baseUrl, 'GET', `/api/v1/subscriptions/${id}`, { key });
      const release = view.json.release as { state: string } | null;
      return release?.state === 'done' ? release : undefined;
    }, 60_000);
    expect(done).toMatchObject({ released: 5, succeeded: 5 });
    expect(r.received.map((w) => (JSON.parse(w.body) as { eventId: string }).eventId)).toEqual(eventIds);

    const unknown = await call(host.baseUrl, 'POST', '/api/v1/subscriptions/01ARZ3NDEKTSV4RRFFQ69G5FAV/pause', { key });
    expect(unknown.status).toBe(404);
  });

  it('what is published right after the resume reaches the receiver only after every held one, in order', async () => {
    const { key, host, r, id } = await hostWithSubscription();
    expect((await call(host.baseUrl, 'POST', `/api/v1/subscriptions/${id}/pause`, { key })).status).toBe(200);
    const publish = async (i: number) => {
      const published = await call(host.baseUrl, 'POST', '/api/v1/events/publish', {
        key,
        body: { type: 'ticket.created', data: { ticketId: `T-${i}`, title: `ticket ${i}` } },
      });
      expect(published.status).toBe(202);
      return String(published.json.eventId);
    };
    const held: string[] = [];
    for (let i = 0; i < 6; i++) held.push(await publish(i));
    expect((await call(host.baseUrl, 'POST', `/api/v1/subscriptions/${id}/resume`, { key })).status).toBe(200);
    // At once, while the release is (most likely) still sending the held ones: these wait behind them.
    const after: string[] = [];
    for (let i = 6; i < 10; i++) after.push(await publish(i));
    await eventually(async () => (r.received.length >= 10 ? true : undefined), 60_000);
    expect(r.received.map((w) => (JSON.parse(w.body) as { eventId: string }).eventId)).toEqual([...held, ...after]);
    // Endpoint tallies reach storage in the worker's batches (docs/outbound.md), so the view catches
    // up with the receiver within a batch interval rather than at once.
    const view = await eventually(async () => {
      const read = await call(host.baseUrl, 'GET', `/api/v1/subscriptions/${id}`, { key });
      return (read.json.health as { attempts: number }).attempts >= 10 ? read : undefined;
    }, 30_000);
    expect(view.json).toMatchObject({ paused: false, release: { state: 'done' } });
    expect(view.json.health).toMatchObject({ held: expect.any(Number), attempts: 10, successes: 10 });
    expect((view.json.health as { held: number }).held).toBeGreaterThanOrEqual(6);
  });

  it('recover and the rate limit over HTTP: bad input answers problem+json and changes nothing', async () => {
    const { key, host, created, id } = await hostWithSubscription({ rateLimitPerSecond: 5 });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ rateLimitPerSecond: 5, slowUntil: null });
    const patch = (body: unknown) => call(host.baseUrl, 'PATCH', `/api/v1/subscriptions/${id}`, { key, body });
    expect((await patch({ rateLimitPerSecond: 0 })).json.code).toBe('validation_failed');
    expect((await patch({ rateLimitPerSecond: null })).json).toMatchObject({ rateLimitPerSecond: null });

    const recover = (body: unknown, sub = id) =>
      call(host.baseUrl, 'POST', `/api/v1/subscriptions/${sub}/recover`, { key, body });
    expect((await call(host.baseUrl, 'GET', `/api/v1/subscriptions/${id}/recover`, { key })).status).toBe(404);
    const missing = await recover({});
    expect([missing.status, missing.json.code]).toEqual([400, 'validation_failed']);
    const backwards = await recover({ since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' });
    expect([backwards.status, backwards.json.code]).toEqual([400, 'validation_failed']);
    const tooLong = await recover({ since: '2025-01-01T00:00:00Z', until: '2026-01-01T00:00:00Z' });
    expect([tooLong.status, tooLong.json.code]).toEqual([400, 'validation_failed']);
    expect((await recover({ since: '2026-01-01T00:00:00Z' }, '01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);
    expect((await call(host.baseUrl, 'GET', `/api/v1/subscriptions/${id}/recover`, { key })).status).toBe(404);

    const since = new Date(Date.now() - 3_600_000).toISOString();
    const started = await recover({ since });
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ subscriptionId: id, state: 'running', resent: 0 });
    const done = await eventually(async () => {
      const got = await call(host.baseUrl, 'GET', `/api/v1/subscriptions/${id}/recover`, { key });
      return got.json.state === 'done' ? got.json : undefined;
    }, 60_000);
    expect(done).toMatchObject({ id: started.json.id, resent: 0, succeeded: 0 });
  });
});
