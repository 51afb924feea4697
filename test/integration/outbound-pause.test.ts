import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import type { BusSender } from '../../shared/bus/port';
import { installClock, ManualClock } from '../../shared/clock';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { closeGuardedAgents } from '../../shared/net/guarded-fetch';
import { getDelivery, listDeliveries } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { type FirstAttemptMessage, queueStarter, runFirstAttempt } from '../../shared/outbound/first-attempt';
import {
  pauseSubscription,
  RELEASE_BATCH,
  RELEASE_CRASH_POINTS,
  RELEASE_STALE_MS,
  type ReleaseMessage,
  releaseHeld,
  restartStaleReleases,
  resumeSubscription,
} from '../../shared/outbound/pause';
import { publishToSubscribers } from '../../shared/outbound/publish';
import type { DeliveryStarter } from '../../shared/outbound/starter';
import { createSubscription, getSubscription } from '../../shared/outbound/subscriptions';
import { SlotReservations } from '../../shared/outbound/throttle';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { isolatedOutboundDeps, recordingOutboundBus } from '../support/outbound-deps';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * Pause and resume of a subscription (shared/outbound/pause.ts) on the suite's Azurite and a
 * loopback receiver: deliveries published while paused are stored `held` and nothing is sent;
 * the resume's release task sends them oldest first, one after another, and a second resume while
 * one runs starts nothing.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const suffix = randomBytes(4).toString('hex');
const counters = new Counters(counterTables(account));

function deps(): OutboundDeps {
  return isolatedOutboundDeps(account, suffix, counters, { throttle: new SlotReservations(account) });
}

const noOrchestrations: DeliveryStarter = {
  start: async () => {
    throw new Error('no orchestration expected');
  },
};

function caller(): Principal {
  return { tenantId: `t-${randomBytes(5).toString('hex')}`, keyId: 'key1', scopes: ['admin'] };
}

const receivers: Receiver[] = [];
afterAll(async () => {
  await closeGuardedAgents();
  for (const r of receivers) await r.close();
});

async function pausedSubscription(d: OutboundDeps) {
  const r = await startReceiver();
  receivers.push(r);
  const who = caller();
  const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'] }, 'c1');
  await pauseSubscription(d, who, sub.id, 'c2');
  return { r, who, subId: sub.id };
}

async function publishTickets(d: OutboundDeps, tenantId: string, count: number, bus: BusSender) {
  const eventIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = await publishToSubscribers(
      d,
      tenantId,
      { type: 'ticket.created', data: { ticketId: `T-${i}`, title: `n${i}`, priority: 'high' }, source: 'admin' },
      queueStarter(bus),
    );
    expect(result).toMatchObject({ deliveries: 1, skipped: 0, held: 1 });
    eventIds.push(result.eventId);
  }
  return eventIds;
}

/** Runs release messages as the worker would, each after the one before, until none is left. */
async function drainReleases(d: OutboundDeps, bus: ReturnType<typeof recordingOutboundBus>) {
  let handled = 0;
  while (handled < bus.sent.length) {
    const message = bus.sent[handled++]!;
    expect(await releaseHeld(d, { body: message.body }, noOrchestrations, bus)).toEqual({ kind: 'complete' });
  }
  return handled;
}

describe('a paused subscription', () => {
  it('holds deliveries published while paused and sends them in publication order after resume', async () => {
    const d = deps();
    const { r, who, subId } = await pausedSubscription(d);
    const publishBus = recordingOutboundBus();
    const eventIds = await publishTickets(d, who.tenantId, 4, publishBus);
    // Held: stored, nothing queued, nothing sent, visible by status.
    expect(publishBus.sent).toEqual([]);
    expect(r.received).toEqual([]);
    const held = await listDeliveries(d, who.tenantId, { status: 'held', limit: 50 });
    expect(held.items).toHaveLength(4);
    expect(held.items.every((i) => i.subscriptionId === subId)).toBe(true);
    expect((await getSubscription(d, who.tenantId, subId)).paused).toBe(true);

    const resumeBus = recordingOutboundBus();
    await resumeSubscription(d, who, subId, 'c3', resumeBus);
    expect(resumeBus.sent).toHaveLength(1);
    expect(resumeBus.sent[0]!.body).toMatchObject({ kind: 'release', tenantId: who.tenantId, subscriptionId: subId });
    expect((await getSubscription(d, who.tenantId, subId)).release).toMatchObject({ state: 'running', released: 0 });

    // The release, then its re-check after the flip to active (it finds nothing more).
    expect(await drainReleases(d, resumeBus)).toBe(2);
    const sentEventIds = r.received.map((w) => (JSON.parse(w.body) as { eventId: string }).eventId);
    expect(sentEventIds).toEqual(eventIds);
    expect(r.received.every((w) => w.headers['x-webhook-attempt-trigger'] === 'initial')).toBe(true);
    const view = await getSubscription(d, who.tenantId, subId);
    expect(view).toMatchObject({ paused: false, pausedAt: null });
    expect(view.release).toMatchObject({ state: 'done', released: 4, succeeded: 4 });
    expect((await listDeliveries(d, who.tenantId, { status: 'held', limit: 50 })).items).toEqual([]);
    // The same release message again (a redelivery) sends nothing twice.
    await releaseHeld(d, { body: resumeBus.sent[0]!.body }, noOrchestrations, resumeBus);
    expect(r.received).toHaveLength(4);
  });

  it('what is published during the release is held behind it: the receiver gets all older ones first, in order', async () => {
    const d = deps();
    const { r, who, subId } = await pausedSubscription(d);
    const before = await publishTickets(d, who.tenantId, 3, recordingOutboundBus());
    const resumeBus = recordingOutboundBus();
    await resumeSubscription(d, who, subId, 'c3', resumeBus);
    // Resumed as far as the view goes, but still holding until the release is done.
    expect(await getSubscription(d, who.tenantId, subId)).toMatchObject({ paused: false, pausedAt: null });
    const publishBus = recordingOutboundBus();
    const during = await publishTickets(d, who.tenantId, 2, publishBus);
    expect(publishBus.sent).toEqual([]);
    await drainReleases(d, resumeBus);
    const sent = r.received.map((w) => (JSON.parse(w.body) as { eventId: string }).eventId);
    expect(sent).toEqual([...before, ...during]);
    expect(await getSubscription(d, who.tenantId, subId)).toMatchObject({
      release: { state: 'done', released: 5 },
      health: { held: 5, attempts: 5, successes: 5 },
    });
    // Active again: the next publish is queued at once, not held.
    const after = await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: { ticketId: 'T-9', title: 'after', priority: 'high' }, source: 'admin' },
      queueStarter(publishBus),
    );
    expect(after).toMatchObject({ deliveries: 1, held: 0 });
    expect(publishBus.sent).toHaveLength(1);
  });

  it('a re-pause during the release ends it interrupted and keeps the rest held; the next resume sends them', async () => {
    const d = deps();
    const { r, who, subId } = await pausedSubscription(d);
    const eventIds = await publishTickets(d, who.tenantId, 2, recordingOutboundBus());
    const bus = recordingOutboundBus();
    await resumeSubscription(d, who, subId, 'c3', bus);
    await pauseSubscription(d, who, subId, 'c4');
    expect(await getSubscription(d, who.tenantId, subId)).toMatchObject({ paused: true });
    await drainReleases(d, bus);
    expect(r.received).toEqual([]);
    expect((await getSubscription(d, who.tenantId, subId)).release).toMatchObject({ state: 'interrupted' });
    const again = recordingOutboundBus();
    await resumeSubscription(d, who, subId, 'c5', again);
    await drainReleases(d, again);
    expect(r.received.map((w) => (JSON.parse(w.body) as { eventId: string }).eventId)).toEqual(eventIds);
    expect(await getSubscription(d, who.tenantId, subId)).toMatchObject({ paused: false, release: { state: 'done' } });
  });

  it('a release longer than one batch hands on to the next message and keeps the order', async () => {
    const d = deps();
    const { r, who, subId } = await pausedSubscription(d);
    const eventIds = await publishTickets(d, who.tenantId, RELEASE_BATCH + 2, recordingOutboundBus());
    const bus = recordingOutboundBus();
    await resumeSubscription(d, who, subId, 'c3', bus);
    // Two batches, then the re-check.
    expect(await drainReleases(d, bus)).toBe(3);
    expect(r.received.map((w) => (JSON.parse(w.body) as { eventId: string }).eventId)).toEqual(eventIds);
    expect((await getSubscription(d, who.tenantId, subId)).release).toMatchObject({
      state: 'done',
      released: RELEASE_BATCH + 2,
    });
  });

  it('a first attempt that finds the subscription paused holds its delivery; a second resume while one runs starts nothing', async () => {
    const d = deps();
    const r = await startReceiver();
    receivers.push(r);
    const who = caller();
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'] }, 'c1');
    const bus = recordingOutboundBus();
    await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: { ticketId: 'T-1', title: 'x', priority: 'high' }, source: 'admin' },
      queueStarter(bus),
    );
    await pauseSubscription(d, who, sub.id, 'c2');
    const first = bus.sent[0]!;
    const deliveryId = (first.body as FirstAttemptMessage).deliveryId;
    await runFirstAttempt(d, { body: first.body, messageId: first.options.messageId }, noOrchestrations);
    expect(r.received).toEqual([]);
    expect((await getDelivery(d, who.tenantId, deliveryId)).status).toBe('held');

    const resumeBus = recordingOutboundBus();
    await resumeSubscription(d, who, sub.id, 'c3', resumeBus);
    await resumeSubscription(d, who, sub.id, 'c4', resumeBus);
    expect(resumeBus.sent).toHaveLength(1);
    // A stale message of an older task is ignored.
    const stale: ReleaseMessage = { ...(resumeBus.sent[0]!.body as ReleaseMessage), taskId: 'older' };
    await releaseHeld(d, { body: stale }, noOrchestrations, resumeBus);
    expect(r.received).toEqual([]);
    await drainReleases(d, resumeBus);
    expect(r.received).toHaveLength(1);
    expect((await getDelivery(d, who.tenantId, deliveryId)).status).toBe('succeeded');
  });

  it('the release of a throttled subscription waits its turn and keeps the order', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 9));
    const restore = installClock(clock);
    try {
      const d = deps();
      const arrivals: number[] = [];
      const r = await startReceiver((_req, _n, res) => {
        arrivals.push(clock.now());
        res.writeHead(200);
        res.end('ok');
      });
      receivers.push(r);
      const who = caller();
      const sub = await createSubscription(
        d,
        who,
        { url: r.url, eventTypes: ['ticket.*'], rateLimitPerSecond: 1 },
        'c1',
      );
      await pauseSubscription(d, who, sub.id, 'c2');
      const eventIds = await publishTickets(d, who.tenantId, 3, recordingOutboundBus());
      const bus = recordingOutboundBus();
      await resumeSubscription(d, who, sub.id, 'c3', bus);
      // Each message in turn, the clock moved to its scheduled time first.
      for (let i = 0; i < bus.sent.length; i++) {
        const at = bus.sent[i]!.options.scheduledEnqueueTimeUtc?.getTime();
        if (at !== undefined && at > clock.now()) clock.set(at);
        await releaseHeld(d, { body: bus.sent[i]!.body }, noOrchestrations, bus);
      }
      expect(r.received.map((w) => (JSON.parse(w.body) as { eventId: string }).eventId)).toEqual(eventIds);
      const seconds = arrivals.map((at) => Math.floor(at / 1000));
      expect(new Set(seconds).size).toBe(3);
      expect((await getSubscription(d, who.tenantId, sub.id)).release).toMatchObject({ state: 'done', released: 3 });
    } finally {
      restore();
    }
  });

  it('a release whose worker died mid-way is restarted by the start sweep where it stood, once stale', async () => {
    const clock = new ManualClock(Date.UTC(2026, 6, 1, 9));
    const restore = installClock(clock);
    class Crash extends Error {}
    setCrashHandler((name) => {
      throw new Crash(name);
    });
    try {
      const d = deps();
      const { r, who, subId } = await pausedSubscription(d);
      const eventIds = await publishTickets(d, who.tenantId, 5, recordingOutboundBus());
      const bus = recordingOutboundBus();
      await resumeSubscription(d, who, subId, 'c3', bus);
      // The worker dies after the second delivery; its message is dead-lettered, never seen again.
      armCrashPoint(RELEASE_CRASH_POINTS.afterDelivery, 2);
      await expect(releaseHeld(d, { body: bus.sent[0]!.body }, noOrchestrations, bus)).rejects.toBeInstanceOf(Crash);
      disarmCrashPoints();
      expect(r.received).toHaveLength(2);
      const ours = (b: ReturnType<typeof recordingOutboundBus>) =>
        b.sent.filter((m) => (m.body as ReleaseMessage).tenantId === who.tenantId);

      // Heard from just now: alive, left alone.
      const sweepBus = recordingOutboundBus();
      await restartStaleReleases(d, sweepBus);
      expect(ours(sweepBus)).toEqual([]);
      expect(await getSubscription(d, who.tenantId, subId)).toMatchObject({
        release: { state: 'running', released: 2 },
      });

      clock.advance(RELEASE_STALE_MS + 1_000);
      await restartStaleReleases(d, sweepBus);
      expect(ours(sweepBus)).toHaveLength(1);
      const restarted = ours(sweepBus)[0]!.body as ReleaseMessage;
      expect(restarted.taskId).not.toBe((bus.sent[0]!.body as ReleaseMessage).taskId);
      // A second sweep while the restarted release is fresh starts nothing more.
      await restartStaleReleases(d, sweepBus);
      expect(ours(sweepBus)).toHaveLength(1);
      // The dead task's message turning up late does nothing.
      await releaseHeld(d, { body: bus.sent[0]!.body }, noOrchestrations, bus);
      expect(r.received).toHaveLength(2);

      const drain = recordingOutboundBus();
      drain.sent.push(ours(sweepBus)[0]!);
      await drainReleases(d, drain);
      // Each delivery once, in publication order: the restart went on from where the dead one stood.
      expect(r.received.map((w) => (JSON.parse(w.body) as { eventId: string }).eventId)).toEqual(eventIds);
      expect(await getSubscription(d, who.tenantId, subId)).toMatchObject({
        paused: false,
        release: { state: 'done', released: 5, succeeded: 5 },
      });
      // Ended: out of the running index, so later sweeps read nothing of it.
      clock.advance(RELEASE_STALE_MS + 1_000);
      const after = recordingOutboundBus();
      await restartStaleReleases(d, after);
      expect(ours(after)).toEqual([]);
    } finally {
      disarmCrashPoints();
      restore();
    }
  });

  it('a dead release of a subscription paused again meanwhile ends interrupted instead of restarting', async () => {
    const clock = new ManualClock(Date.UTC(2026, 6, 2, 9));
    const restore = installClock(clock);
    try {
      const d = deps();
      const { r, who, subId } = await pausedSubscription(d);
      await publishTickets(d, who.tenantId, 2, recordingOutboundBus());
      await resumeSubscription(d, who, subId, 'c3', recordingOutboundBus()); // its message is lost
      await pauseSubscription(d, who, subId, 'c4');
      clock.advance(RELEASE_STALE_MS + 1_000);
      const sweepBus = recordingOutboundBus();
      await restartStaleReleases(d, sweepBus);
      expect(sweepBus.sent.filter((m) => (m.body as ReleaseMessage).tenantId === who.tenantId)).toEqual([]);
      expect(r.received).toEqual([]);
      expect(await getSubscription(d, who.tenantId, subId)).toMatchObject({
        paused: true,
        release: { state: 'interrupted' },
      });
    } finally {
      restore();
    }
  });
});
