import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import { ManualClock } from '../../shared/clock';
import { runAutomaticAttempt } from '../../shared/outbound/attempt';
import { getDelivery, listDeliveries } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { publishToSubscribers } from '../../shared/outbound/publish';
import { getRecover, runRecover, startRecover } from '../../shared/outbound/recover';
import type { DeliveryStarter } from '../../shared/outbound/starter';
import { createSubscription } from '../../shared/outbound/subscriptions';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { isolatedOutboundDeps, outboundFileHooks, recordingOutboundBus } from '../support/outbound-deps';
import { startReceiver } from '../support/webhook-receiver';

/**
 * Recover (shared/outbound/recover.ts) on the suite's Azurite and a loopback receiver: the failed
 * deliveries of a subscription inside the window are re-sent once each, as a new manual attempt
 * on the same delivery; one outside the window is left alone; of two recovers started at once
 * one runs and the other answers `recover_in_flight`; a redelivered task message re-sends nothing.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const suffix = randomBytes(4).toString('hex');
const counters = new Counters(counterTables(account));

function deps(): OutboundDeps {
  // Failing endpoints here must not be disabled by the streak.
  return isolatedOutboundDeps(account, suffix, counters, { disableAfterFailingMs: 365 * 24 * 3_600_000 });
}

/** Publish stores the rows; the queue is not needed here (attempts are run directly). */
const noStart: DeliveryStarter = { start: async () => 'started' };

function caller(): Principal {
  return { tenantId: `t-${randomBytes(5).toString('hex')}`, keyId: 'key1', scopes: ['admin'] };
}

const { receivers, useClock } = outboundFileHooks();

describe('recover', () => {
  it('re-sends the failed deliveries of the window once each; two at once: one runs', async () => {
    const t0 = Date.UTC(2026, 4, 1, 9);
    const clock = new ManualClock(t0);
    useClock(clock);
    const d = deps();
    let healthy = false;
    const r = await startReceiver((_req, _n, res) => {
      res.writeHead(healthy ? 200 : 503);
      res.end(healthy ? 'ok' : 'down');
    });
    receivers.push(r);
    const who = caller();
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'] }, 'c1');
    /** A delivery that went through all five automatic attempts and ended failed. */
    const failedDelivery = async (i: number) => {
      const published = await publishToSubscribers(
        d,
        who.tenantId,
        { type: 'ticket.created', data: { ticketId: `T-${i}`, title: `n${i}`, priority: 'high' }, source: 'admin' },
        noStart,
      );
      const list = await listDeliveries(d, who.tenantId, { subscriptionId: sub.id, limit: 50 });
      const id = list.items.find((x) => x.eventId === published.eventId)!.id;
      for (let k = 1; k <= 5; k++) await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: id, k });
      expect((await getDelivery(d, who.tenantId, id)).status).toBe('failed');
      return id;
    };
    const before = await failedDelivery(0);
    clock.advance(2 * 3_600_000);
    const inWindow = [await failedDelivery(1), await failedDelivery(2), await failedDelivery(3)];
    const sentBefore = r.received.length;
    healthy = true;

    const bus = recordingOutboundBus();
    const window = { since: new Date(t0 + 3_600_000).toISOString() };
    const both = await Promise.allSettled([
      startRecover(d, who, sub.id, window, 'c2', bus),
      startRecover(d, who, sub.id, window, 'c3', bus),
    ]);
    const started = both.filter((x) => x.status === 'fulfilled');
    const refused = both.filter((x) => x.status === 'rejected');
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'recover_in_flight' });
    expect(bus.sent).toHaveLength(1);
    expect(await getRecover(d, who.tenantId, sub.id)).toMatchObject({ state: 'running', resent: 0 });

    await runRecover(d, { body: bus.sent[0]!.body }, bus);
    expect(r.received.length - sentBefore).toBe(3);
    expect(await getRecover(d, who.tenantId, sub.id)).toMatchObject({ state: 'done', resent: 3, succeeded: 3 });
    for (const id of inWindow) {
      const view = await getDelivery(d, who.tenantId, id);
      // A new attempt on the same delivery: attempts 1-5 automatic, 6 manual.
      expect(view.status).toBe('succeeded');
      expect(view.attempts?.map((a) => a.trigger)).toEqual([
        'initial',
        'automatic',
        'automatic',
        'automatic',
        'automatic',
        'manual',
      ]);
    }
    expect((await getDelivery(d, who.tenantId, before)).status).toBe('failed');
    // The task message again (a redelivery) re-sends nothing; a new recover finds nothing failed.
    await runRecover(d, { body: bus.sent[0]!.body }, bus);
    expect(r.received.length - sentBefore).toBe(3);
    await startRecover(d, who, sub.id, window, 'c4', bus);
    await runRecover(d, { body: bus.sent[bus.sent.length - 1]!.body }, bus);
    expect(r.received.length - sentBefore).toBe(3);
    expect(await getRecover(d, who.tenantId, sub.id)).toMatchObject({ state: 'done', resent: 0 });
  });
});
