import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import { ManualClock } from '../../shared/clock';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { runManualAttempt } from '../../shared/outbound/attempt';
import { getDelivery, listDeliveries } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import {
  FIRST_ATTEMPT_CRASH_AFTER_RECORD,
  FIRST_ATTEMPT_CRASH_AFTER_SEND,
  FIRST_ATTEMPT_CRASH_AFTER_START,
  FIRST_ATTEMPT_QUEUE,
  type FirstAttemptMessage,
  queueStarter,
  runFirstAttempt,
  startDeadLetteredFirstAttempt,
} from '../../shared/outbound/first-attempt';
import { PUBLISH_CRASH_AFTER_ROWS, publishToSubscribers } from '../../shared/outbound/publish';
import { durableStarter } from '../../shared/outbound/starter';
import { createSubscription } from '../../shared/outbound/subscriptions';
import { SWEEP_GRACE_MS, startWaitingDeliveries } from '../../shared/outbound/sweep';
import { startMarkerPartition, startMarkerRowKey } from '../../shared/outbound/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import {
  inMemoryInstances,
  isolatedOutboundDeps,
  outboundFileHooks,
  recordingOutboundBus,
} from '../support/outbound-deps';
import { answer, startReceiver } from '../support/webhook-receiver';

/**
 * The first attempt from the queue worker (shared/outbound/first-attempt.ts) on the suite's Azurite
 * and loopback receivers: a success never starts an orchestration, a failure starts exactly one
 * (instance id = delivery id, status read first), and a crash at each step of the worker leaves
 * the delivery to a redelivery of the message or to the start sweep, never sent twice. The
 * cross-tenant start-marker table gets a name of its own, so the sweeps here see only these rows.
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

class SimulatedCrash extends Error {}
const ticket = { ticketId: 'T-3', title: 'Disk full', priority: 'high' };
const { receivers, useClock } = outboundFileHooks();

afterEach(() => disarmCrashPoints());

/** A subscription answering `status`, one event published through the queue starter. */
async function published(d: OutboundDeps, status: number) {
  const r = await startReceiver(answer(status, {}, status === 200 ? 'ok' : 'nope'));
  receivers.push(r);
  const who = caller();
  await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'] }, 'c1');
  const bus = recordingOutboundBus();
  const result = await publishToSubscribers(
    d,
    who.tenantId,
    { type: 'ticket.created', data: ticket, source: 'admin' },
    queueStarter(bus),
  );
  expect(bus.sent).toHaveLength(1);
  const message = bus.sent[0]!;
  expect(message.queue).toBe(FIRST_ATTEMPT_QUEUE);
  const body = message.body as FirstAttemptMessage;
  // The row as inserted and its ETag ride along (docs/decisions.md §83): the worker sends without reading.
  expect(body).toMatchObject({ v: 2, tenantId: who.tenantId, deliveryId: body.deliveryId, eventId: result.eventId });
  expect(body.v === 2 && body.delivery.status).toBe('pending');
  return { r, who, body, received: { body: message.body, messageId: message.options.messageId } };
}

async function markerOf(d: OutboundDeps, body: FirstAttemptMessage) {
  return d.tables.starts.get(startMarkerPartition(body.eventId), startMarkerRowKey(body.tenantId, body.deliveryId));
}

describe('the first-attempt worker', () => {
  it('a first attempt that succeeds settles the delivery without an orchestration and removes the start marker', async () => {
    const d = deps();
    const { r, who, body, received } = await published(d, 200);
    // No start marker any more: until the worker is done the delivery is `pending`, which the sweep covers.
    expect(await markerOf(d, body)).toBeUndefined();
    const client = inMemoryInstances();
    expect(await runFirstAttempt(d, received, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.headers['x-webhook-attempt-trigger']).toBe('initial');
    expect(r.received[0]!.headers['webhook-id']).toBe(body.deliveryId);
    const delivery = await getDelivery(d, who.tenantId, body.deliveryId);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts?.map((a) => [a.n, a.trigger, a.statusCode])).toEqual([[1, 'initial', 200]]);
    expect(client.started).toEqual([]);
    expect(client.statusReads).toBe(0);
    expect(await markerOf(d, body)).toBeUndefined();
    // The same message again (an at-least-once redelivery): nothing is sent twice.
    expect(await runFirstAttempt(d, received, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(r.received).toHaveLength(1);
  });

  it('a first attempt that fails starts the orchestration once, instance id = delivery id, status read first', async () => {
    const d = deps();
    const { r, who, body, received } = await published(d, 503);
    const client = inMemoryInstances();
    expect(await runFirstAttempt(d, received, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(client.started).toEqual([body.deliveryId]);
    expect(client.statusReads).toBe(1);
    const delivery = await getDelivery(d, who.tenantId, body.deliveryId);
    expect(delivery).toMatchObject({ status: 'retrying', automaticAttempts: 1, attemptCount: 1 });
    expect(await markerOf(d, body)).toBeUndefined();
    // A redelivered copy replays the recorded outcome: no second send, no second instance.
    expect(await runFirstAttempt(d, received, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(r.received).toHaveLength(1);
    expect(client.started).toEqual([body.deliveryId]);
  });

  it('a 410 at the first attempt ends the delivery failed, with no orchestration', async () => {
    const d = deps();
    const { who, body, received } = await published(d, 410);
    const client = inMemoryInstances();
    expect(await runFirstAttempt(d, received, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(client.started).toEqual([]);
    expect((await getDelivery(d, who.tenantId, body.deliveryId)).status).toBe('failed');
  });

  it('a message that is not a first-attempt message is dead-lettered and changes nothing', async () => {
    const d = deps();
    const client = inMemoryInstances();
    const settled = await runFirstAttempt(
      d,
      { body: { v: 1, tenantId: 't' }, messageId: 'm1' },
      durableStarter(client),
    );
    expect(settled).toMatchObject({ kind: 'deadLetter', reason: 'invalid_message' });
    expect(client.started).toEqual([]);
  });

  it('without a durable client a failed first attempt abandons the message (it comes back) rather than losing the schedule', async () => {
    const d = deps();
    const { r, body, received } = await published(d, 500);
    await expect(runFirstAttempt(d, received, undefined)).rejects.toThrow(/durable client/);
    const client = inMemoryInstances();
    // The redelivery, on a worker with the binding: the recorded outcome, then the start.
    expect(await runFirstAttempt(d, received, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(client.started).toEqual([body.deliveryId]);
    expect(r.received).toHaveLength(1);
  });
});

describe('dead-lettered first attempts', () => {
  it('the companion consumer hands the delivery to its orchestration (status read first) and removes the marker', async () => {
    const d = deps();
    const { r, body, received } = await published(d, 200);
    const client = inMemoryInstances();
    expect(await startDeadLetteredFirstAttempt(d, received, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(client.started).toEqual([body.deliveryId]);
    expect(await markerOf(d, body)).toBeUndefined();
    // Once more (a redelivered copy): the instance exists, nothing new starts, nothing was sent here.
    expect(await startDeadLetteredFirstAttempt(d, received, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(client.started).toEqual([body.deliveryId]);
    expect(r.received).toHaveLength(0);
  });

  it('an unreadable dead letter is dropped without a start', async () => {
    const d = deps();
    const client = inMemoryInstances();
    expect(await startDeadLetteredFirstAttempt(d, { body: 'nonsense' }, durableStarter(client))).toEqual({
      kind: 'complete',
    });
    expect(client.started).toEqual([]);
  });
});

describe('the first-attempt worker: crash points', () => {
  function crashAt(name: string): void {
    armCrashPoint(name);
    setCrashHandler((point) => {
      throw new SimulatedCrash(point);
    });
  }

  it('killed after recording a failed attempt 1: the redelivered message starts the orchestration once and sends nothing again', async () => {
    const d = deps();
    const { r, who, body, received } = await published(d, 500);
    const client = inMemoryInstances();
    crashAt(FIRST_ATTEMPT_CRASH_AFTER_RECORD);
    await expect(runFirstAttempt(d, received, durableStarter(client))).rejects.toBeInstanceOf(SimulatedCrash);
    expect(client.started).toEqual([]);
    expect((await getDelivery(d, who.tenantId, body.deliveryId)).status).toBe('retrying');
    expect(await runFirstAttempt(d, received, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(client.started).toEqual([body.deliveryId]);
    expect(r.received).toHaveLength(1);
    expect(await markerOf(d, body)).toBeUndefined();
  });

  it('killed after recording, and the message never comes back: the start sweep starts the retrying delivery after the grace period', async () => {
    const clock = new ManualClock(Date.UTC(2026, 3, 1, 9));
    useClock(clock);
    const d = deps();
    const { r, body, received } = await published(d, 500);
    const client = inMemoryInstances();
    crashAt(FIRST_ATTEMPT_CRASH_AFTER_RECORD);
    await expect(runFirstAttempt(d, received, durableStarter(client))).rejects.toBeInstanceOf(SimulatedCrash);
    clock.advance(SWEEP_GRACE_MS + 1_000);
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 1, settled: 0, failed: 0 });
    expect(client.started).toEqual([body.deliveryId]);
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 0, settled: 0, failed: 0 });
    expect(r.received).toHaveLength(1);
  });

  it('killed after the orchestration start: the redelivered message finds it started (status read) and only settles', async () => {
    const d = deps();
    const { r, body, received } = await published(d, 500);
    const client = inMemoryInstances();
    crashAt(FIRST_ATTEMPT_CRASH_AFTER_START);
    await expect(runFirstAttempt(d, received, durableStarter(client))).rejects.toBeInstanceOf(SimulatedCrash);
    expect(client.started).toEqual([body.deliveryId]);
    expect(await runFirstAttempt(d, received, durableStarter(client))).toEqual({ kind: 'complete' });
    expect(client.started).toEqual([body.deliveryId]);
    expect(client.statusReads).toBe(2);
    expect(r.received).toHaveLength(1);
    expect(await markerOf(d, body)).toBeUndefined();
  });

  it('a message lost before the worker ran: the sweep starts the pending delivery, whose orchestration sends attempt 1', async () => {
    const clock = new ManualClock(Date.UTC(2026, 3, 2, 9));
    useClock(clock);
    const d = deps();
    const { r, who, body } = await published(d, 200);
    clock.advance(SWEEP_GRACE_MS + 1_000);
    const client = inMemoryInstances();
    expect(await startWaitingDeliveries(d, durableStarter(client))).toEqual({ started: 1, settled: 0, failed: 0 });
    expect(client.started).toEqual([body.deliveryId]);
    expect((await getDelivery(d, who.tenantId, body.deliveryId)).status).toBe('pending');
    expect(r.received).toHaveLength(0);
  });
});

/**
 * A message's first delivery is sent as carried (docs/decisions.md §83): no read of the delivery,
 * no lease, one outcome transaction under the inserted row's ETag. Each crash point between the
 * steps leaves the delivery to the redelivered message (deliveryCount 2: the rows are read) or to
 * the sweep; nothing is lost and a receiver sees at most a repeated webhook-id.
 */
describe('the first-attempt worker: the carried row on a first delivery', () => {
  function crashAt(name: string): void {
    armCrashPoint(name);
    setCrashHandler((point) => {
      throw new SimulatedCrash(point);
    });
  }

  it('sends from the message and settles with one transaction; a redelivery reads and sends nothing', async () => {
    const d = deps();
    const { r, who, body, received } = await published(d, 200);
    const client = inMemoryInstances();
    expect(await runFirstAttempt(d, { ...received, deliveryCount: 1 }, durableStarter(client))).toEqual({
      kind: 'complete',
    });
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.headers['webhook-id']).toBe(body.deliveryId);
    const delivery = await getDelivery(d, who.tenantId, body.deliveryId);
    expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 1, automaticAttempts: 1 });
    expect(delivery.attempts?.map((a) => [a.n, a.trigger, a.statusCode])).toEqual([[1, 'initial', 200]]);
    expect((await listDeliveries(d, who.tenantId, { limit: 10, status: 'succeeded' })).items).toHaveLength(1);
    expect((await listDeliveries(d, who.tenantId, { limit: 10, status: 'pending' })).items).toHaveLength(0);
    expect(await runFirstAttempt(d, { ...received, deliveryCount: 2 }, durableStarter(client))).toEqual({
      kind: 'complete',
    });
    expect(r.received).toHaveLength(1);
    expect(client.started).toEqual([]);
  });

  it('killed between the send and the outcome: the delivery is still pending; the redelivery sends it again, same webhook-id, one attempt logged', async () => {
    const d = deps();
    const { r, who, body, received } = await published(d, 200);
    const client = inMemoryInstances();
    crashAt(FIRST_ATTEMPT_CRASH_AFTER_SEND);
    await expect(runFirstAttempt(d, { ...received, deliveryCount: 1 }, durableStarter(client))).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    expect(r.received).toHaveLength(1);
    expect(await getDelivery(d, who.tenantId, body.deliveryId)).toMatchObject({ status: 'pending', attempts: [] });
    disarmCrashPoints();
    expect(await runFirstAttempt(d, { ...received, deliveryCount: 2 }, durableStarter(client))).toEqual({
      kind: 'complete',
    });
    expect(r.received.map((m) => m.headers['webhook-id'])).toEqual([body.deliveryId, body.deliveryId]);
    const delivery = await getDelivery(d, who.tenantId, body.deliveryId);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts?.map((a) => [a.n, a.trigger])).toEqual([[1, 'initial']]);
    expect(client.started).toEqual([]);
  });

  it('killed between the outcome and the message delete: the redelivery finds the outcome and sends nothing', async () => {
    const d = deps();
    const { r, who, body, received } = await published(d, 200);
    const client = inMemoryInstances();
    crashAt(FIRST_ATTEMPT_CRASH_AFTER_RECORD);
    await expect(runFirstAttempt(d, { ...received, deliveryCount: 1 }, durableStarter(client))).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    expect((await getDelivery(d, who.tenantId, body.deliveryId)).status).toBe('succeeded');
    disarmCrashPoints();
    expect(await runFirstAttempt(d, { ...received, deliveryCount: 2 }, durableStarter(client))).toEqual({
      kind: 'complete',
    });
    expect(r.received).toHaveLength(1);
    expect(client.started).toEqual([]);
  });

  it('killed between the publish transaction and the message: the sweep starts the pending delivery after the grace period', async () => {
    const clock = new ManualClock(Date.UTC(2026, 3, 3, 9));
    useClock(clock);
    const d = deps();
    const r = await startReceiver(answer(200, {}, 'ok'));
    receivers.push(r);
    const who = caller();
    await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'] }, 'c1');
    const bus = recordingOutboundBus();
    crashAt(PUBLISH_CRASH_AFTER_ROWS);
    await expect(
      publishToSubscribers(
        d,
        who.tenantId,
        { type: 'ticket.created', data: ticket, source: 'admin' },
        queueStarter(bus),
      ),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    expect(bus.sent).toEqual([]);
    const [pending] = (await listDeliveries(d, who.tenantId, { limit: 10 })).items;
    expect(pending?.status).toBe('pending');
    const client = inMemoryInstances();
    clock.advance(SWEEP_GRACE_MS + 1_000);
    const swept = await startWaitingDeliveries(d, durableStarter(client));
    expect(swept.started).toBe(1);
    expect(client.started).toEqual([pending!.id]);
    expect((await startWaitingDeliveries(d, durableStarter(client))).started).toBe(0);
  });

  it('a manual retry got there first: the carried send is logged as the next attempt and the manual outcome stands', async () => {
    const d = deps();
    const { r, who, body, received } = await published(d, 200);
    const client = inMemoryInstances();
    expect((await runManualAttempt(d, who.tenantId, body.deliveryId)).status).toBe('succeeded');
    expect(await runFirstAttempt(d, { ...received, deliveryCount: 1 }, durableStarter(client))).toEqual({
      kind: 'complete',
    });
    // At least once: the receiver saw the delivery twice under one webhook-id, both attempts are logged.
    expect(r.received.map((m) => m.headers['webhook-id'])).toEqual([body.deliveryId, body.deliveryId]);
    const delivery = await getDelivery(d, who.tenantId, body.deliveryId);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts?.map((a) => [a.n, a.trigger])).toEqual([
      [1, 'manual'],
      [2, 'initial'],
    ]);
    expect(client.started).toEqual([]);
  });
});
