import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import { ManualClock } from '../../shared/clock';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { runAutomaticAttempt } from '../../shared/outbound/attempt';
import { getDelivery, listDeliveries } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { PUBLISH_CRASH_AFTER_ROWS, publishToSubscribers } from '../../shared/outbound/publish';
import { purgeExpiredDeliveries } from '../../shared/outbound/retention';
import { durableStarter } from '../../shared/outbound/starter';
import { createSubscription } from '../../shared/outbound/subscriptions';
import { SWEEP_GRACE_MS, startWaitingDeliveries } from '../../shared/outbound/sweep';
import {
  attemptsPartition,
  DELIVERY_KEYS_FROM,
  dayPartition,
  startMarkerPartition,
  startMarkerRowKey,
} from '../../shared/outbound/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { newestFirstId } from '../../shared/storage/keys';
import { inMemoryInstances, isolatedOutboundDeps, outboundFileHooks } from '../support/outbound-deps';
import { answer, type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * The outbound housekeeping on the suite's Azurite: the start sweep that picks up deliveries whose
 * orchestration never started (a crash between the rows and the start), keyed publications that
 * repeat without duplicating, and retention. The two cross-tenant tables get names of their own
 * here, so other test files' deliveries do not show up in these sweeps.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const suffix = randomBytes(4).toString('hex');
const counters = new Counters(counterTables(account));

function deps(): OutboundDeps {
  return isolatedOutboundDeps(account, suffix, counters);
}

function caller(): Principal {
  return { tenantId: `t-${randomBytes(5).toString('hex')}`, keyId: 'key1', scopes: ['admin'] };
}

const ticket = { ticketId: 'T-7', title: 'Backup failed', priority: 'high' };
const { receivers, useClock } = outboundFileHooks();

afterEach(() => disarmCrashPoints());

async function subscribed(d: OutboundDeps, who: Principal): Promise<Receiver> {
  const r = await startReceiver(answer(200, {}, 'ok'));
  receivers.push(r);
  await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'] }, 'c1');
  return r;
}

class SimulatedCrash extends Error {}

describe('the start sweep', () => {
  it('a crash between the delivery rows and the start leaves a pending delivery that the sweep starts once, after the grace period', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
    useClock(clock);
    const d = deps();
    const who = caller();
    await subscribed(d, who);
    const client = inMemoryInstances();

    armCrashPoint(PUBLISH_CRASH_AFTER_ROWS);
    setCrashHandler((name) => {
      throw new SimulatedCrash(name);
    });
    await expect(
      publishToSubscribers(
        d,
        who.tenantId,
        { type: 'ticket.created', data: ticket, source: 'admin' },
        durableStarter(client),
      ),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    expect(client.started).toEqual([]);
    const [pending] = (await listDeliveries(d, who.tenantId, { limit: 10 })).items;
    expect(pending?.status).toBe('pending');

    // Within the grace period a publisher may still be about to start it: the sweep waits.
    clock.advance(SWEEP_GRACE_MS - 1_000);
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 0, settled: 0, failed: 0 });
    expect(client.started).toEqual([]);

    clock.advance(2_000);
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 1, settled: 0, failed: 0 });
    expect(client.started).toEqual([pending!.id]);
    // The marker is gone: the next run has nothing to do, and nothing is started twice.
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 0, settled: 0, failed: 0 });
    expect(client.started).toEqual([pending!.id]);
  });

  it('a delivery whose start did happen is left alone (status read first), and published without a client it is started', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 2, 9));
    useClock(clock);
    const d = deps();
    const who = caller();
    await subscribed(d, who);
    const client = inMemoryInstances();

    // Started, but the process died before its start marker was removed: put the marker back.
    await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: ticket, source: 'admin' },
      durableStarter(client),
    );
    expect(client.started).toHaveLength(1);
    const startedId = client.started[0]!;
    await d.tables.starts.upsert(startMarkerPartition(startedId), startMarkerRowKey(who.tenantId, startedId), {
      tenantId: who.tenantId,
      deliveryId: startedId,
    });

    // A second event published with no durable client at all.
    await publishToSubscribers(d, who.tenantId, { type: 'ticket.created', data: ticket, source: 'admin' }, undefined);
    clock.advance(SWEEP_GRACE_MS + 1_000);
    const swept = await startWaitingDeliveries(d, durableStarter(client));
    expect(swept).toEqual({ started: 1, settled: 1, failed: 0 });
    expect(client.started).toHaveLength(2);
    expect(client.started[0]).toBe(startedId);
  });
});

describe('keyed publications', () => {
  it('publishing the same key again creates no second event or delivery and starts only what still waits', async () => {
    const d = deps();
    const who = caller();
    await subscribed(d, who);
    const client = inMemoryInstances();
    const key = newestFirstId();
    const once = await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: ticket, source: 'autotask', key },
      durableStarter(client),
    );
    const again = await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: ticket, source: 'autotask', key },
      durableStarter(client),
    );
    expect(once.eventId).toBe(key);
    expect(again.eventId).toBe(key);
    // Below DELIVERY_KEYS_FROM: the delivery rows, not their index rows beside them.
    const all = await d.tables.deliveries.list(dayPartition(who.tenantId, key), {
      limit: 10,
      rowKeyTo: DELIVERY_KEYS_FROM,
    });
    expect(all.items).toHaveLength(1);
    // The second start found the orchestration (status read first): one instance.
    expect(client.started).toEqual([all.items[0]!.rowKey]);
  });

  it('a keyed publication nobody subscribed to stores nothing', async () => {
    const d = deps();
    const who = caller();
    const key = newestFirstId();
    const result = await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'alert.triggered', data: { alertId: 'a', severity: 'high', message: 'm' }, source: 'datto-rmm', key },
      undefined,
    );
    expect(result).toEqual({ eventId: key, deliveries: 0, skipped: 0, held: 0 });
    expect(await d.tables.events.get(dayPartition(who.tenantId, key), key)).toBeUndefined();
  });
});

describe('retention', () => {
  it('deliveries, attempts, index rows and events past the retention period are purged, a bounded number per run; newer ones stay', async () => {
    const clock = new ManualClock(Date.UTC(2026, 3, 1, 9));
    useClock(clock);
    const d = deps();
    const who = caller();
    const r = await subscribed(d, who);
    const client = inMemoryInstances();

    const old: string[] = [];
    for (let i = 0; i < 2; i++) {
      await publishToSubscribers(
        d,
        who.tenantId,
        { type: 'ticket.created', data: ticket, source: 'admin' },
        durableStarter(client),
      );
    }
    old.push(...client.started);
    for (const id of old) {
      expect(await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: id, k: 1 })).toEqual({
        kind: 'succeeded',
      });
    }
    expect(r.received).toHaveLength(2);
    const oldEvents = await Promise.all(old.map(async (id) => (await getDelivery(d, who.tenantId, id)).eventId));

    clock.advance(29 * 86_400_000);
    await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: ticket, source: 'admin' },
      durableStarter(client),
    );
    const fresh = client.started[2]!;
    clock.advance(2 * 86_400_000); // the first two are 31 days old now, the third 2 days

    // A bounded run: one row, then the rest.
    expect(await purgeExpiredDeliveries(d, { retentionDays: 30, limit: 1 })).toMatchObject({ more: true });
    const rest = await purgeExpiredDeliveries(d, { retentionDays: 30 });
    expect(rest.more).toBe(false);

    for (const id of old) {
      await expect(getDelivery(d, who.tenantId, id)).rejects.toMatchObject({ code: 'not_found' });
      expect((await d.tables.attempts.list(attemptsPartition(who.tenantId, id))).items).toEqual([]);
    }
    for (const eventId of oldEvents) {
      expect(await d.tables.events.get(dayPartition(who.tenantId, eventId), eventId)).toBeUndefined();
    }
    // The index rows went with them: every list filter finds only the fresh delivery.
    const from = new Date(Date.UTC(2026, 2, 20)).toISOString();
    for (const filter of [
      {},
      { status: 'succeeded' as const },
      { status: 'pending' as const },
      { eventType: 'ticket.created' },
    ]) {
      const listed = await listDeliveries(d, who.tenantId, { limit: 50, from, ...filter });
      expect(listed.items.map((i) => i.id).filter((id) => id !== fresh)).toEqual([]);
    }
    expect((await getDelivery(d, who.tenantId, fresh)).status).toBe('pending');
    // Nothing left to purge.
    expect(await purgeExpiredDeliveries(d, { retentionDays: 30 })).toEqual({ deliveries: 0, events: 0, more: false });
    // Hundreds of rows written and purged through Azurite: seconds on a quiet machine, far more on a
    // loaded one, and nothing here depends on how long it takes.
  }, 120_000);
});
