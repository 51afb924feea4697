import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import { ManualClock } from '../../shared/clock';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { getDelivery, listDeliveries } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import {
  FIRST_ATTEMPT_CRASH_AFTER_SEND,
  FIRST_ATTEMPT_CRASH_INLINE_BEFORE_FALLBACK,
  FIRST_ATTEMPT_CRASH_INLINE_BEFORE_HANDOFF,
  FIRST_ATTEMPT_QUEUE,
  inlineFirstAttemptStarter,
  runFirstAttempt,
} from '../../shared/outbound/first-attempt';
import { PUBLISH_CRASH_AFTER_ROWS, publishToSubscribers } from '../../shared/outbound/publish';
import { durableStarter, UnstartedDeliveriesError } from '../../shared/outbound/starter';
import { createSubscription, deleteSubscription } from '../../shared/outbound/subscriptions';
import { SWEEP_GRACE_MS, startWaitingDeliveries } from '../../shared/outbound/sweep';
import { attemptLogPrefix, dayPartition, deliveryKeyRowKey } from '../../shared/outbound/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { newestFirstId } from '../../shared/storage/keys';
import {
  inMemoryInstances,
  isolatedOutboundDeps,
  outboundFileHooks,
  recordingOutboundBus,
} from '../support/outbound-deps';
import { answer, startReceiver } from '../support/webhook-receiver';

/**
 * The first attempt in the publishing process (inlineFirstAttemptStarter, docs/outbound.md "The
 * first attempt in the publishing process"), on the suite's Azurite and loopback receivers: a
 * success leaves nothing on the queue, a failure hands the schedule to the queue worker with an
 * ids-only message (which replays attempt 1 and starts the orchestration once), an error hands the
 * whole attempt to the worker, and a crash at each new step leaves the delivery to the repeated
 * keyed publication or the start sweep. A crash here is a throw from the crash point after which
 * the "dead" process's bus accepts nothing, as a killed instance sends nothing more.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const suffix = randomBytes(4).toString('hex');
const counters = new Counters(counterTables(account));

class SimulatedCrash extends Error {}

function caller(): Principal {
  return { tenantId: `t-${randomBytes(5).toString('hex')}`, keyId: 'key1', scopes: ['admin'] };
}

const ticket = { ticketId: 'T-9', title: 'UPS on battery', priority: 'high' };
const { receivers, useClock } = outboundFileHooks();

afterEach(() => disarmCrashPoints());

async function arrange(status: number, overrides: Partial<OutboundDeps> = {}) {
  const d = isolatedOutboundDeps(account, suffix, counters, overrides);
  const r = await startReceiver(answer(status, {}, status === 200 ? 'ok' : 'nope'));
  receivers.push(r);
  const who = caller();
  await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'] }, 'c1');
  const bus = recordingOutboundBus();
  // Keyed, as the pipeline publishes (its inbound event id): a repeat finds the rows.
  const key = newestFirstId();
  const publish = () =>
    publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: ticket, source: 'autotask', key },
      inlineFirstAttemptStarter(d, bus),
    );
  return { d, r, who, bus, publish };
}

async function onlyDelivery(d: OutboundDeps, tenantId: string) {
  const items = (await listDeliveries(d, tenantId, { limit: 10 })).items;
  expect(items).toHaveLength(1);
  return getDelivery(d, tenantId, items[0]!.id);
}

function crashAt(name: string, bus: { dead: boolean }): void {
  armCrashPoint(name);
  setCrashHandler((point) => {
    bus.dead = true;
    throw new SimulatedCrash(point);
  });
}

describe('the first attempt in the publishing process', () => {
  it('a success is sent and settled before publish returns, with nothing on the queue', async () => {
    const { d, r, who, bus, publish } = await arrange(200);
    expect(await publish()).toMatchObject({ deliveries: 1 });
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.headers['x-webhook-attempt-trigger']).toBe('initial');
    const delivery = await onlyDelivery(d, who.tenantId);
    expect(r.received[0]!.headers['webhook-id']).toBe(delivery.id);
    expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 1, automaticAttempts: 1 });
    expect(delivery.attempts?.map((a) => [a.n, a.trigger, a.statusCode])).toEqual([[1, 'initial', 200]]);
    expect(bus.sent).toEqual([]);
    // The same keyed publication again (a redelivered stage message): nothing new, nothing sent.
    await publish();
    expect(r.received).toHaveLength(1);
    expect(bus.sent).toEqual([]);
  });

  it('a failure records attempt 1 and asks the queue worker for the schedule; the worker starts it once and sends nothing again', async () => {
    const { d, r, who, bus, publish } = await arrange(503);
    await publish();
    const delivery = await onlyDelivery(d, who.tenantId);
    expect(delivery).toMatchObject({ status: 'retrying', automaticAttempts: 1, attemptCount: 1 });
    expect(bus.sent).toHaveLength(1);
    const handoff = bus.sent[0]!;
    expect(handoff.queue).toBe(FIRST_ATTEMPT_QUEUE);
    expect(handoff.body).toEqual({ v: 1, tenantId: who.tenantId, deliveryId: delivery.id, eventId: delivery.eventId });
    const client = inMemoryInstances();
    const message = { body: handoff.body, messageId: handoff.options.messageId, deliveryCount: 1 };
    expect(await runFirstAttempt(d, message, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(client.started).toEqual([delivery.id]);
    expect(r.received).toHaveLength(1);
  });

  it('an endpoint on a failure streak is not waited on: its next delivery goes to the queue worker untried', async () => {
    const { d, r, who, bus, publish } = await arrange(503);
    await publish();
    expect(r.received).toHaveLength(1);
    await d.tallies?.flush(d);
    bus.sent.length = 0;
    await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: ticket, source: 'autotask', key: newestFirstId() },
      inlineFirstAttemptStarter(d, bus),
    );
    // Not sent from here: the whole first attempt is the worker's (the row travels in the message).
    expect(r.received).toHaveLength(1);
    expect(bus.sent).toHaveLength(1);
    expect(bus.sent[0]!.body).toMatchObject({ v: 2, tenantId: who.tenantId });
  });

  it('an error before the send hands the whole attempt to the worker with an ids-only message', async () => {
    let down = true;
    const { d, r, who, bus, publish } = await arrange(200, {
      tenantIsActive: async () => {
        if (down) throw new Error('tenants table unavailable');
        return true;
      },
    });
    await publish();
    expect(r.received).toHaveLength(0);
    const delivery = await onlyDelivery(d, who.tenantId);
    expect(delivery.status).toBe('pending');
    expect(bus.sent.map((m) => m.body)).toEqual([
      { v: 1, tenantId: who.tenantId, deliveryId: delivery.id, eventId: delivery.eventId },
    ]);
    down = false;
    const client = inMemoryInstances();
    const message = { body: bus.sent[0]!.body, messageId: bus.sent[0]!.options.messageId, deliveryCount: 1 };
    expect(await runFirstAttempt(d, message, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(r.received).toHaveLength(1);
    expect((await getDelivery(d, who.tenantId, delivery.id)).status).toBe('succeeded');
    expect(client.started).toEqual([]);
  });
});

describe('the first attempt in the publishing process: crash points', () => {
  it('killed between the send and the outcome: the repeated keyed publication hands the pending delivery to the worker, which sends it again under the same webhook-id', async () => {
    const { d, r, who, bus, publish } = await arrange(200);
    crashAt(FIRST_ATTEMPT_CRASH_AFTER_SEND, bus);
    await publish();
    expect(r.received).toHaveLength(1);
    const delivery = await onlyDelivery(d, who.tenantId);
    expect(delivery).toMatchObject({ status: 'pending', attempts: [] });
    expect(bus.sent).toEqual([]);
    // The stage message comes back to a new process: the publication finds its rows.
    bus.dead = false;
    disarmCrashPoints();
    await publish();
    expect(bus.sent.map((m) => m.body)).toEqual([
      { v: 1, tenantId: who.tenantId, deliveryId: delivery.id, eventId: delivery.eventId },
    ]);
    const client = inMemoryInstances();
    const message = { body: bus.sent[0]!.body, messageId: bus.sent[0]!.options.messageId, deliveryCount: 1 };
    expect(await runFirstAttempt(d, message, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(r.received.map((m) => m.headers['webhook-id'])).toEqual([delivery.id, delivery.id]);
    const settled = await getDelivery(d, who.tenantId, delivery.id);
    expect(settled.status).toBe('succeeded');
    expect(settled.attempts?.map((a) => [a.n, a.trigger])).toEqual([[1, 'initial']]);
  });

  it('killed after a failed attempt 1, before asking for the schedule: the start sweep starts the retrying delivery once', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 9));
    useClock(clock);
    const { d, r, who, bus, publish } = await arrange(500);
    crashAt(FIRST_ATTEMPT_CRASH_INLINE_BEFORE_HANDOFF, bus);
    await publish();
    const delivery = await onlyDelivery(d, who.tenantId);
    expect(delivery.status).toBe('retrying');
    expect(bus.sent).toEqual([]);
    const client = inMemoryInstances();
    clock.advance(SWEEP_GRACE_MS + 1_000);
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 1, settled: 0, failed: 0 });
    expect(client.started).toEqual([delivery.id]);
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 0, settled: 0, failed: 0 });
    expect(r.received).toHaveLength(1);
  });

  it('killed after a failed inline attempt, before its fallback message: the start sweep starts the pending delivery', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 10, 9));
    useClock(clock);
    const { d, r, who, bus, publish } = await arrange(200, {
      tenantIsActive: async () => {
        throw new Error('tenants table unavailable');
      },
    });
    crashAt(FIRST_ATTEMPT_CRASH_INLINE_BEFORE_FALLBACK, bus);
    await publish();
    const delivery = await onlyDelivery(d, who.tenantId);
    expect(delivery.status).toBe('pending');
    expect(bus.sent).toEqual([]);
    const client = inMemoryInstances();
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 0, settled: 0, failed: 0 });
    clock.advance(SWEEP_GRACE_MS + 1_000);
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 1, settled: 0, failed: 0 });
    expect(client.started).toEqual([delivery.id]);
    expect(r.received).toHaveLength(0);
  });
});

describe('the first attempt in the publishing process: one write for a success, keys filed before any queue', () => {
  /** The status index rows of a delivery (RowKeys from `~status:` on that end in its id). */
  async function statusKeys(d: OutboundDeps, tenantId: string, id: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const row of d.tables.deliveryRows.iterate(dayPartition(tenantId, id), { rowKeyPrefix: '~status:' }))
      if (row.rowKey.endsWith(id)) keys.push(row.rowKey);
    return keys;
  }

  it('a success leaves no status key and no log row: attempt 1 is on the row, and the lists still find it', async () => {
    const { d, r, who, publish } = await arrange(200);
    await publish();
    expect(r.received).toHaveLength(1);
    const delivery = await onlyDelivery(d, who.tenantId);
    const row = await d.tables.deliveries.get(dayPartition(who.tenantId, delivery.id), delivery.id);
    expect(row?.value).toMatchObject({ status: 'succeeded', settledBy: { n: 1, trigger: 'initial', statusCode: 200 } });
    expect(row?.value.unfiled).toBeUndefined();
    expect(await statusKeys(d, who.tenantId, delivery.id)).toEqual([]);
    const log = [];
    for await (const x of d.tables.deliveryLog.iterate(dayPartition(who.tenantId, delivery.id), {
      rowKeyPrefix: attemptLogPrefix(delivery.id),
    }))
      log.push(x);
    expect(log).toEqual([]);
    const succeeded = await listDeliveries(d, who.tenantId, { limit: 10, status: 'succeeded' });
    expect(succeeded.items.map((x) => [x.id, x.lastAttempt?.n, x.lastAttempt?.statusCode])).toEqual([
      [delivery.id, 1, 200],
    ]);
    expect((await listDeliveries(d, who.tenantId, { limit: 10, status: 'pending' })).items).toEqual([]);
  });

  it('a failure files the `retrying` key with its outcome; a delivery to an endpoint on a failure streak is inserted filed', async () => {
    const { d, who, bus, publish } = await arrange(503);
    await publish();
    const failed = await onlyDelivery(d, who.tenantId);
    expect(await statusKeys(d, who.tenantId, failed.id)).toEqual([deliveryKeyRowKey('status', 'retrying', failed.id)]);
    await d.tallies?.flush(d);
    bus.sent.length = 0;
    const next = await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: ticket, source: 'autotask', key: newestFirstId() },
      inlineFirstAttemptStarter(d, bus),
    );
    const queued = (await listDeliveries(d, who.tenantId, { limit: 10, status: 'pending' })).items;
    expect(queued.map((x) => x.eventId)).toEqual([next.eventId]);
    expect(bus.sent[0]!.body).toMatchObject({ v: 2, deliveryId: queued[0]!.id });
  });

  it('a crash after the rows, before the attempt: the sweep sees nothing unfiled; the redelivered stage message files the key and hands the delivery to the queue', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 12, 9));
    useClock(clock);
    const { d, r, who, bus, publish } = await arrange(200);
    crashAt(PUBLISH_CRASH_AFTER_ROWS, bus);
    await expect(publish()).rejects.toThrow(SimulatedCrash);
    const delivery = await onlyDelivery(d, who.tenantId);
    expect(delivery.status).toBe('pending');
    expect(await statusKeys(d, who.tenantId, delivery.id)).toEqual([]);
    clock.advance(SWEEP_GRACE_MS + 1_000);
    const client = inMemoryInstances();
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 0, settled: 0, failed: 0 });
    // The stage message comes back to a new process.
    bus.dead = false;
    disarmCrashPoints();
    await publish();
    expect(await statusKeys(d, who.tenantId, delivery.id)).toEqual([
      deliveryKeyRowKey('status', 'pending', delivery.id),
    ]);
    expect(bus.sent.map((m) => m.body)).toEqual([
      { v: 1, tenantId: who.tenantId, deliveryId: delivery.id, eventId: delivery.eventId },
    ]);
    // Its message lost as well: the sweep now finds the filed key.
    clock.advance(SWEEP_GRACE_MS + 1_000);
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 1, settled: 0, failed: 0 });
    expect(client.started).toEqual([delivery.id]);
    expect(r.received).toHaveLength(0);
  });
});

describe('the first attempt in the publishing process: a repeat finds the rows it no longer lists', () => {
  it('a subscription deleted between the crash and the repeat: its unfiled delivery is filed and handed to the worker, which ends it failed', async () => {
    const { d, r, who, bus, publish } = await arrange(200);
    const other = await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'] }, 'c2');
    crashAt(PUBLISH_CRASH_AFTER_ROWS, bus);
    await expect(publish()).rejects.toThrow(SimulatedCrash);
    const rows = (await listDeliveries(d, who.tenantId, { limit: 10 })).items;
    expect(rows).toHaveLength(2);
    const orphan = rows.find((x) => x.subscriptionId !== other.id)!;
    await deleteSubscription(d, who, orphan.subscriptionId, 'c3');
    // The subscription list is cached per instance for a few seconds: a new process reads it afresh.
    const fresh = isolatedOutboundDeps(account, suffix, counters);
    bus.dead = false;
    disarmCrashPoints();
    await publishToSubscribers(
      fresh,
      who.tenantId,
      { type: 'ticket.created', data: ticket, source: 'autotask', key: rows[0]!.eventId },
      inlineFirstAttemptStarter(fresh, bus),
    );
    expect(bus.sent.map((m) => (m.body as { deliveryId: string }).deliveryId).sort()).toEqual(
      rows.map((x) => x.id).sort(),
    );
    const message = bus.sent.find((m) => (m.body as { deliveryId: string }).deliveryId === orphan.id)!;
    const client = inMemoryInstances();
    expect(
      await runFirstAttempt(
        fresh,
        { body: message.body, messageId: message.options.messageId, deliveryCount: 1 },
        durableStarter(client),
      ),
    ).toEqual({ kind: 'complete' });
    expect(await getDelivery(fresh, who.tenantId, orphan.id)).toMatchObject({
      status: 'failed',
      statusReason: 'the subscription was deleted',
    });
    expect(r.received).toHaveLength(0);
  });
});

describe('the first attempt in the publishing process: a handover that fails reaches the publisher', () => {
  it('an inline attempt that throws, with neither the key filed nor the message sent: publish throws UnstartedDeliveriesError, and the repeat files and queues the delivery', async () => {
    let storageDown = false;
    const base = isolatedOutboundDeps(account, suffix, counters);
    const rows = base.tables.deliveryRows;
    // The delivery table fails from the moment the attempt starts (after the insert went through).
    const failingRows: typeof rows = Object.create(rows);
    failingRows.transact = (pk, writes) =>
      storageDown ? Promise.reject(new Error('storage unavailable')) : rows.transact(pk, writes);
    const { d, r, who, bus, publish } = await arrange(200, {
      tables: { ...base.tables, deliveryRows: failingRows },
      tenantIsActive: async () => {
        storageDown = true;
        throw new Error('tenants table unavailable');
      },
    });
    bus.dead = false;
    const send = bus.send.bind(bus);
    bus.send = async (...args) => {
      if (storageDown) throw new Error('bus unavailable');
      return send(...args);
    };
    const thrown = await publish().catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(UnstartedDeliveriesError);
    const delivery = await onlyDelivery(d, who.tenantId);
    expect(delivery.status).toBe('pending');
    expect(bus.sent).toEqual([]);
    // The pipeline abandons its stage message; the redelivery repeats the publication.
    storageDown = false;
    const repeat = inlineFirstAttemptStarter({ ...d, tenantIsActive: async () => true }, bus);
    await publishToSubscribers(
      { ...d, tenantIsActive: async () => true },
      who.tenantId,
      { type: 'ticket.created', data: ticket, source: 'autotask', key: delivery.eventId },
      repeat,
    );
    expect(bus.sent.map((m) => m.body)).toEqual([
      { v: 1, tenantId: who.tenantId, deliveryId: delivery.id, eventId: delivery.eventId },
    ]);
    const row = await d.tables.deliveries.get(dayPartition(who.tenantId, delivery.id), delivery.id);
    expect(row?.value.unfiled).toBeUndefined();
    expect(r.received).toHaveLength(0);
  });
});

describe('the first attempt in the publishing process: a repeat that lists no subscription', () => {
  it('every subscription deleted between the crash and the repeat: the redelivered stage message (repeat) still finds and ends the unfiled delivery', async () => {
    const { d, r, who, bus, publish } = await arrange(200);
    crashAt(PUBLISH_CRASH_AFTER_ROWS, bus);
    await expect(publish()).rejects.toThrow(SimulatedCrash);
    const [orphan] = (await listDeliveries(d, who.tenantId, { limit: 10 })).items;
    await deleteSubscription(d, who, orphan!.subscriptionId, 'c3');
    const fresh = isolatedOutboundDeps(account, suffix, counters);
    bus.dead = false;
    disarmCrashPoints();
    const again = { type: 'ticket.created' as const, data: ticket, source: 'autotask', key: orphan!.eventId };
    // Without the hint a publication that lists nothing reads nothing: the row is left as it is.
    await publishToSubscribers(fresh, who.tenantId, again, inlineFirstAttemptStarter(fresh, bus));
    expect(bus.sent).toEqual([]);
    await publishToSubscribers(fresh, who.tenantId, { ...again, repeat: true }, inlineFirstAttemptStarter(fresh, bus));
    expect(bus.sent.map((m) => m.body)).toEqual([
      { v: 1, tenantId: who.tenantId, deliveryId: orphan!.id, eventId: orphan!.eventId },
    ]);
    const client = inMemoryInstances();
    const message = { body: bus.sent[0]!.body, messageId: bus.sent[0]!.options.messageId, deliveryCount: 1 };
    expect(await runFirstAttempt(fresh, message, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(await getDelivery(fresh, who.tenantId, orphan!.id)).toMatchObject({
      status: 'failed',
      statusReason: 'the subscription was deleted',
    });
    expect(r.received).toHaveLength(0);
  });
});
