import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import { ManualClock } from '../../shared/clock';
import { runAutomaticAttempt } from '../../shared/outbound/attempt';
import { retryFailedDeliveries } from '../../shared/outbound/bulk-retry';
import { getDelivery, listDeliveries } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { publishToSubscribers } from '../../shared/outbound/publish';
import { getRecover, RECOVER_PAGE, runRecover, startRecover } from '../../shared/outbound/recover';
import type { DeliveryStarter } from '../../shared/outbound/starter';
import { createSubscription } from '../../shared/outbound/subscriptions';
import { SlotReservations } from '../../shared/outbound/throttle';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { busiestSecond, isolatedOutboundDeps, outboundFileHooks, recordingOutboundBus } from '../support/outbound-deps';
import { startReceiver } from '../support/webhook-receiver';

/**
 * Recover and bulk retry of a rate-limited subscription (shared/outbound/recover.ts,
 * shared/outbound/bulk-retry.ts) reserve its send slots like first attempts (throttle.ts): on the
 * virtual clock, no half-open one-second window at the receiver holds more than the limit, every
 * failed delivery is re-sent exactly once, and a bulk retry stopped by the limit moves no slot.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const suffix = randomBytes(4).toString('hex');
const counters = new Counters(counterTables(account));
const RATE = 5;

function deps(): OutboundDeps {
  return isolatedOutboundDeps(account, suffix, counters, {
    throttle: new SlotReservations(account),
    disableAfterFailingMs: 365 * 24 * 3_600_000,
  });
}

const noStart: DeliveryStarter = { start: async () => 'started' };

function caller(): Principal {
  return { tenantId: `t-${randomBytes(5).toString('hex')}`, keyId: 'key1', scopes: ['admin'] };
}

const { receivers, useClock } = outboundFileHooks();

/** A 5/s subscription whose receiver fails until told otherwise, then records arrivals in virtual time. */
async function throttledFailures(clock: ManualClock, d: OutboundDeps, count: number) {
  const state = { healthy: false, arrivals: [] as Array<{ at: number; id: string }> };
  const r = await startReceiver((req, _n, res) => {
    if (state.healthy) state.arrivals.push({ at: clock.now(), id: String(req.headers['webhook-id']) });
    res.writeHead(state.healthy ? 200 : 503);
    res.end(state.healthy ? 'ok' : 'down');
  });
  receivers.push(r);
  const who = caller();
  const sub = await createSubscription(
    d,
    who,
    { url: r.url, eventTypes: ['ticket.*'], rateLimitPerSecond: RATE },
    'c1',
  );
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: { ticketId: `T-${i}`, title: `n${i}`, priority: 'high' }, source: 'admin' },
      noStart,
    );
    clock.advance(10);
  }
  for (const item of (await listDeliveries(d, who.tenantId, { subscriptionId: sub.id, limit: 100 })).items) {
    // The last automatic attempt failing ends the delivery `failed` (the schedule itself is not under test).
    await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: item.id, k: 5 });
    ids.push(item.id);
  }
  expect(
    (await listDeliveries(d, who.tenantId, { subscriptionId: sub.id, status: 'failed', limit: 100 })).items,
  ).toHaveLength(count);
  state.healthy = true;
  return { who, sub, ids, state };
}

describe('recover of a rate-limited subscription', () => {
  it('re-sends every failed delivery once, never more than the limit in any sliding second', async () => {
    const t0 = Date.UTC(2026, 7, 3, 9);
    const clock = new ManualClock(t0);
    useClock(clock);
    const d = deps();
    const count = RECOVER_PAGE + 7;
    const { who, sub, ids, state } = await throttledFailures(clock, d, count);

    const bus = recordingOutboundBus();
    await startRecover(d, who, sub.id, { since: new Date(t0 - 60_000).toISOString() }, 'c2', bus);
    // The one recover worker: each message in turn, the clock moved to its scheduled time first.
    for (let i = 0; i < bus.sent.length; i++) {
      const at = bus.sent[i]!.options.scheduledEnqueueTimeUtc?.getTime();
      if (at !== undefined && at > clock.now()) clock.set(at);
      await runRecover(d, { body: bus.sent[i]!.body }, bus);
    }
    expect(await getRecover(d, who.tenantId, sub.id)).toMatchObject({
      state: 'done',
      resent: count,
      succeeded: count,
      skipped: 0,
    });
    const arrivals = state.arrivals.map((a) => a.at);
    expect(arrivals).toHaveLength(count);
    expect(new Set(state.arrivals.map((a) => a.id)).size).toBe(count);
    expect(busiestSecond(arrivals)).toBeLessThanOrEqual(RATE);
    // Spread over the virtual seconds the limit demands, not sent in one go.
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThanOrEqual(((count - RATE) / RATE) * 1000);
    for (const id of ids) expect((await getDelivery(d, who.tenantId, id)).status).toBe('succeeded');
  });
});

describe('bulk retry of a rate-limited subscription', () => {
  it('sleeps for its slots within the budget: all retried, never more than the limit in any sliding second', async () => {
    const t0 = Date.UTC(2026, 7, 4, 9);
    const clock = new ManualClock(t0);
    useClock(clock);
    const d = deps();
    const { who, sub, state } = await throttledFailures(clock, d, 12);
    const slept: number[] = [];
    const result = await retryFailedDeliveries(
      d,
      who.tenantId,
      {
        subscriptionId: sub.id,
        from: new Date(t0 - 60_000).toISOString(),
        to: new Date(clock.now()).toISOString(),
        limit: 100,
      },
      {
        budgetMs: 60_000,
        chunk: 10,
        sleep: async (ms) => {
          slept.push(ms);
          clock.advance(ms);
        },
      },
    );
    expect(result).toMatchObject({ attempted: 12, succeeded: 12, nextCursor: null, throttledUntil: null });
    expect(slept.length).toBeGreaterThan(0);
    expect(busiestSecond(state.arrivals.map((a) => a.at))).toBeLessThanOrEqual(RATE);
  });

  it('stops at a slot beyond its budget without reserving it, and goes on from there when called again', async () => {
    const t0 = Date.UTC(2026, 7, 5, 9);
    const clock = new ManualClock(t0);
    useClock(clock);
    const d = deps();
    const { who, sub, ids, state } = await throttledFailures(clock, d, 4);
    // A backlog of first attempts holds the next 3 seconds of slots.
    for (let i = 0; i < 3 * RATE; i++) await d.throttle!.reserve(who.tenantId, sub.id, RATE, 0);
    const input = {
      subscriptionId: sub.id,
      from: new Date(t0 - 60_000).toISOString(),
      to: new Date(clock.now()).toISOString(),
      limit: 100,
    };
    const spent = { budgetMs: 0, chunk: 10, sleep: async (ms: number) => clock.advance(ms) };
    const first = await retryFailedDeliveries(d, who.tenantId, input, spent);
    expect(first).toMatchObject({ attempted: 0, nextCursor: null });
    expect(first.throttledUntil).not.toBeNull();
    // Nothing was reserved: asking again at once names the same time.
    const again = await retryFailedDeliveries(d, who.tenantId, input, spent);
    expect(again.throttledUntil).toBe(first.throttledUntil);
    expect(state.arrivals).toEqual([]);

    const retried: string[] = [];
    let cursor: string | undefined;
    let calls = 0;
    let result = first;
    do {
      clock.set(Date.parse(result.throttledUntil ?? new Date(clock.now()).toISOString()));
      result = await retryFailedDeliveries(d, who.tenantId, { ...input, cursor }, spent);
      retried.push(...result.deliveryIds);
      cursor = result.nextCursor ?? undefined;
      calls++;
    } while ((cursor || result.throttledUntil) && calls < 20);
    expect(retried.sort()).toEqual([...ids].sort());
    expect(state.arrivals).toHaveLength(4);
    expect(busiestSecond(state.arrivals.map((a) => a.at))).toBeLessThanOrEqual(RATE);
    expect(Math.min(...state.arrivals.map((a) => a.at))).toBeGreaterThanOrEqual(t0 + 3_000);
  });
});
