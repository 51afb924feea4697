import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import type { BusSender } from '../../shared/bus/port';
import { ManualClock } from '../../shared/clock';
import { getDelivery, listDeliveries } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { queueStarter, runFirstAttempt } from '../../shared/outbound/first-attempt';
import { publishToSubscribers } from '../../shared/outbound/publish';
import type { DeliveryStarter } from '../../shared/outbound/starter';
import { createSubscription, getSubscription } from '../../shared/outbound/subscriptions';
import { startWaitingDeliveries } from '../../shared/outbound/sweep';
import { reserveRetrySlot, SlotReservations } from '../../shared/outbound/throttle';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { busiestSecond, isolatedOutboundDeps, outboundFileHooks } from '../support/outbound-deps';
import { startReceiver } from '../support/webhook-receiver';

/**
 * Throttled subscriptions (shared/outbound/throttle.ts) on the suite's Azurite, a loopback receiver
 * and the virtual clock. The first-attempt queue is played here: messages become visible at their
 * scheduled time, those due are handled ten at a time (as several instances would), and the clock
 * jumps to the next scheduled message when none is due — so rates are measured in virtual seconds
 * at the receiver, never by timing the test.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const suffix = randomBytes(4).toString('hex');
const counters = new Counters(counterTables(account));

function deps(): OutboundDeps {
  return isolatedOutboundDeps(account, suffix, counters, { throttle: new SlotReservations(account) });
}

interface Queued {
  body: unknown;
  messageId: string;
  visibleAt: number;
}

/** The queue as the worker sees it: sends land here, visible at their scheduled time. */
function playedQueue(clock: ManualClock): BusSender & { items: Queued[] } {
  const items: Queued[] = [];
  return {
    items,
    send: async (_queue, body, options) =>
      void items.push({
        body,
        messageId: options.messageId,
        visibleAt: options.scheduledEnqueueTimeUtc?.getTime() ?? clock.now(),
      }),
  };
}

async function drain(
  d: OutboundDeps | OutboundDeps[],
  clock: ManualClock,
  queue: ReturnType<typeof playedQueue>,
  starter: DeliveryStarter,
) {
  // Several deps: each its own "instance" (its own reservation batching), taking turns per message.
  const instances = Array.isArray(d) ? d : [d];
  let handled = 0;
  while (queue.items.length > 0) {
    const due = queue.items.filter((m) => m.visibleAt <= clock.now());
    if (due.length === 0) {
      clock.set(Math.min(...queue.items.map((m) => m.visibleAt)));
      continue;
    }
    const batch = due.slice(0, 10);
    for (const m of batch) queue.items.splice(queue.items.indexOf(m), 1);
    await Promise.all(
      batch.map(async (m, i) => {
        const on = instances[(handled + i) % instances.length]!;
        expect(await runFirstAttempt(on, { body: m.body, messageId: m.messageId }, starter, queue)).toEqual({
          kind: 'complete',
        });
      }),
    );
    handled += batch.length;
  }
  return handled;
}

function caller(): Principal {
  return { tenantId: `t-${randomBytes(5).toString('hex')}`, keyId: 'key1', scopes: ['admin'] };
}

const { receivers, useClock } = outboundFileHooks();

function respond(res: ServerResponse, status: number, headers: Record<string, string> = {}) {
  res.writeHead(status, headers);
  res.end(status === 200 ? 'ok' : 'slow down');
}

describe('a throttled subscription', () => {
  it('limited to 5/s, receives 100 deliveries at no more than 5 in any sliding second, none failed or dropped', async () => {
    // Not on a second boundary: a fixed-window scheme would let 10 through around the boundary.
    const clock = new ManualClock(Date.UTC(2026, 3, 1, 9, 0, 0, 700));
    useClock(clock);
    const d = deps();
    // A second instance: its own reservation batching, the same storage.
    const other: OutboundDeps = { ...d, throttle: new SlotReservations(account) };
    const arrivals: number[] = [];
    const r = await startReceiver((_req, _n, res) => {
      arrivals.push(clock.now());
      respond(res, 200);
    });
    receivers.push(r);
    const who = caller();
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'], rateLimitPerSecond: 5 }, 'c1');
    expect(sub.rateLimitPerSecond).toBe(5);
    const queue = playedQueue(clock);
    for (let i = 0; i < 100; i++) {
      await publishToSubscribers(
        d,
        who.tenantId,
        { type: 'ticket.created', data: { ticketId: `T-${i}`, title: `n${i}`, priority: 'high' }, source: 'admin' },
        queueStarter(queue),
      );
    }
    const noRetries: DeliveryStarter = {
      start: async () => {
        throw new Error('no delivery should fail');
      },
    };
    await drain([d, other], clock, queue, noRetries);

    expect(arrivals).toHaveLength(100);
    expect(busiestSecond(arrivals)).toBe(5);
    const sorted = [...arrivals].sort((a, b) => a - b);
    // Evenly spread: never two closer than the 200 ms spacing, so no burst at any window's start.
    expect(Math.min(...sorted.slice(1).map((at, i) => at - sorted[i]!))).toBeGreaterThanOrEqual(200);
    // 100 at 5 per second span at least 19.8 seconds of the virtual clock.
    expect(sorted[99]! - sorted[0]!).toBeGreaterThanOrEqual(19_800);
    const delivered = await listDeliveries(d, who.tenantId, { subscriptionId: sub.id, limit: 200 });
    expect(delivered.items).toHaveLength(100);
    expect(delivered.items.every((i) => i.status === 'succeeded' && i.attemptCount === 1)).toBe(true);
    expect(delivered.items.filter((i) => (i.throttled ?? 0) > 0).length).toBeGreaterThanOrEqual(95);
    // The waits are in the analytics counters too, beside the attempts (not counted as attempts).
    const waits = delivered.items.reduce((n, i) => n + (i.throttled ?? 0), 0);
    expect((await getSubscription(d, who.tenantId, sub.id)).health).toMatchObject({
      attempts: 100,
      successes: 100,
      throttled: waits,
      held: 0,
    });
  });

  it("a 429 with Retry-After makes the subscription's other first attempts wait until then", async () => {
    const clock = new ManualClock(Date.UTC(2026, 3, 2, 9, 0, 0, 0));
    useClock(clock);
    const d = deps();
    const arrivals: number[] = [];
    const r = await startReceiver((_req, n, res) => {
      arrivals.push(clock.now());
      if (n === 1) respond(res, 429, { 'Retry-After': '30' });
      else respond(res, 200);
    });
    receivers.push(r);
    const who = caller();
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'] }, 'c1');
    const queue = playedQueue(clock);
    const publish = (i: number) =>
      publishToSubscribers(
        d,
        who.tenantId,
        { type: 'ticket.created', data: { ticketId: `T-${i}`, title: `n${i}`, priority: 'high' }, source: 'admin' },
        queueStarter(queue),
      );
    await publish(1);
    const started: string[] = [];
    const schedules: DeliveryStarter = {
      start: async (_t, id) => {
        started.push(id);
        return 'started';
      },
    };
    await drain(d, clock, queue, schedules);
    expect(started).toHaveLength(1); // the 429'd delivery's retry schedule
    const view = await getSubscription(d, who.tenantId, sub.id);
    expect(view.slowUntil).toBe(new Date(Date.UTC(2026, 3, 2, 9, 0, 30)).toISOString());

    const second = await publish(2);
    await drain(d, clock, queue, schedules);
    expect(arrivals).toEqual([Date.UTC(2026, 3, 2, 9, 0, 0), Date.UTC(2026, 3, 2, 9, 0, 30)]);
    const list = await listDeliveries(d, who.tenantId, { subscriptionId: sub.id, limit: 10 });
    const secondDelivery = list.items.find((i) => i.eventId === second.eventId)!;
    expect(await getDelivery(d, who.tenantId, secondDelivery.id)).toMatchObject({ status: 'succeeded', throttled: 1 });
  });

  it('a 429 on a rate-limited subscription pushes its slots: after the wait, the rate, not a burst', async () => {
    const start = Date.UTC(2026, 3, 4, 9, 0, 0, 0);
    const clock = new ManualClock(start);
    useClock(clock);
    const d = deps();
    const arrivals: number[] = [];
    const r = await startReceiver((_req, n, res) => {
      arrivals.push(clock.now());
      if (n === 1) respond(res, 429, { 'Retry-After': '10' });
      else respond(res, 200);
    });
    receivers.push(r);
    const who = caller();
    await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'], rateLimitPerSecond: 2 }, 'c1');
    const queue = playedQueue(clock);
    const publish = (i: number) =>
      publishToSubscribers(
        d,
        who.tenantId,
        { type: 'ticket.created', data: { ticketId: `T-${i}`, title: `n${i}`, priority: 'high' }, source: 'admin' },
        queueStarter(queue),
      );
    const schedules: DeliveryStarter = { start: async () => 'started' };
    await publish(0);
    await drain(d, clock, queue, schedules);
    // Six more during the slowdown: none goes before it ends, and then at the rate.
    for (let i = 1; i <= 6; i++) await publish(i);
    await drain(d, clock, queue, schedules);
    expect(arrivals).toHaveLength(7);
    const later = arrivals.slice(1).sort((a, b) => a - b);
    expect(later[0]).toBeGreaterThanOrEqual(start + 10_000);
    expect(busiestSecond(later)).toBe(2);
    expect(Math.min(...later.slice(1).map((at, i) => at - later[i]!))).toBeGreaterThanOrEqual(500);
  });

  it("a retry reserves its slot like a first attempt (the orchestration's send-slot activity)", async () => {
    const start = Date.UTC(2026, 3, 5, 9, 0, 0, 0);
    const clock = new ManualClock(start);
    useClock(clock);
    const d = deps();
    const r = await startReceiver((_req, n, res) => respond(res, n === 1 ? 500 : 200));
    receivers.push(r);
    const who = caller();
    await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'], rateLimitPerSecond: 1 }, 'c1');
    const queue = playedQueue(clock);
    const started: string[] = [];
    const schedules: DeliveryStarter = {
      start: async (_t, id) => {
        started.push(id);
        return 'started';
      },
    };
    await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: { ticketId: 'T-1', title: 'n1', priority: 'high' }, source: 'admin' },
      queueStarter(queue),
    );
    await drain(d, clock, queue, schedules);
    const deliveryId = started[0]!;
    expect(await getDelivery(d, who.tenantId, deliveryId)).toMatchObject({ status: 'retrying' });
    // The first attempt took the slot at `start`: the retry's is one spacing on, and the next after it.
    expect(await reserveRetrySlot(d, { tenantId: who.tenantId, deliveryId, k: 2 })).toEqual({
      at: new Date(start + 1_000).toISOString(),
    });
    expect(await reserveRetrySlot(d, { tenantId: who.tenantId, deliveryId, k: 3 })).toEqual({
      at: new Date(start + 2_000).toISOString(),
    });
    // An attempt already recorded needs no slot.
    expect(await reserveRetrySlot(d, { tenantId: who.tenantId, deliveryId, k: 1 })).toBeNull();
    clock.set(start + 60_000);
    // Idle since: the slot is now.
    expect(await reserveRetrySlot(d, { tenantId: who.tenantId, deliveryId, k: 2 })).toBeNull();
  });

  it('the start sweep leaves a throttled delivery to its queued turn instead of starting it past the limit', async () => {
    const clock = new ManualClock(Date.UTC(2026, 3, 3, 9, 0, 0, 0));
    useClock(clock);
    const d = deps();
    const r = await startReceiver((_req, _n, res) => respond(res, 200));
    receivers.push(r);
    const who = caller();
    await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'], rateLimitPerSecond: 1 }, 'c1');
    const queue = playedQueue(clock);
    for (let i = 0; i < 3; i++) {
      await publishToSubscribers(
        d,
        who.tenantId,
        { type: 'ticket.created', data: { ticketId: `T-${i}`, title: `n${i}`, priority: 'high' }, source: 'admin' },
        queueStarter(queue),
      );
    }
    const first = [...queue.items];
    queue.items.length = 0;
    const none: DeliveryStarter = {
      start: async () => {
        throw new Error('no orchestration expected');
      },
    };
    for (const m of first) await runFirstAttempt(d, { body: m.body, messageId: m.messageId }, none, queue);
    expect(r.received).toHaveLength(1);
    expect(queue.items).toHaveLength(2);
    // A sweep with no grace at all still leaves the two waiting deliveries alone.
    const startedBySweep: string[] = [];
    await startWaitingDeliveries(
      d,
      {
        start: async (_t, id) => {
          startedBySweep.push(id);
          return 'started';
        },
      },
      { graceMs: 0 },
    );
    const waiting = queue.items.map((m) => (m.body as { deliveryId: string }).deliveryId);
    expect(startedBySweep.filter((id) => waiting.includes(id))).toEqual([]);
    await drain(d, clock, queue, none);
    expect(r.received).toHaveLength(3);
  });
});
