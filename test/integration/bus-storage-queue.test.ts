import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { complete, deadLetter, deadLetterQueueName, MAX_DELIVERY_COUNT_EXCEEDED } from '../../shared/bus/port';
import { NOT_DUE_HIDDEN_AGAIN, StorageQueueBus, type StorageQueueBusOptions } from '../../shared/bus/storage-queue-bus';
import { type LockedMessage, LockLostError } from '../../shared/bus/storage-queue-lock';
import { installClock, ManualClock } from '../../shared/clock';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { eventually, Signals, sleep } from '../support/wait';

const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const dedupTable = `busdedup${process.pid}${Date.now().toString(36)}`;
/** Unique per test so parallel files and reruns never share a queue. */
const queueName = (tag: string) => `t-${tag}-${randomUUID().slice(0, 8)}`;

function busWith(options: StorageQueueBusOptions = {}): StorageQueueBus {
  return new StorageQueueBus(account, { dedupTableName: dedupTable, lockDurationSeconds: 5, ...options });
}

/** Messages in the queue, visible or not: 0 once every message was completed (deleted). */
async function depth(queue: string): Promise<number> {
  return (await account.queueService().getQueueClient(queue).getProperties()).approximateMessagesCount ?? 0;
}

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
});

describe('StorageQueueBus: delivery count and dead-lettering', () => {
  it('redelivers a failing message with deliveryCount 1,2,3 and then dead-letters it as MaxDeliveryCountExceeded', async () => {
    const bus = busWith({ maxDeliveryCount: 3 });
    const q = queueName('poison');
    await bus.send(
      q,
      { eventId: 'ev1' },
      { messageId: 'ev1:validation:0:1', applicationProperties: { tenantId: 't1' } },
    );

    const seen: number[] = [];
    const consumer = bus.startConsumer(
      q,
      async (message) => {
        seen.push(message.deliveryCount);
        throw new Error('vendor answered 503');
      },
      { pollIntervalMs: 20, concurrency: 1 },
    );
    const [dead] = await eventually(async () => {
      const dl = await bus.peekDeadLetters(q);
      return dl.length > 0 ? dl : undefined;
    });
    await consumer.stop();

    expect(seen).toEqual([1, 2, 3]);
    expect(dead!.deadLetterReason).toBe(MAX_DELIVERY_COUNT_EXCEEDED);
    expect(dead!.deadLetterErrorDescription).toContain('3 delivery attempts');
    // The broker's text only: the application's error is the timeline's to keep (docs/bus.md).
    expect(dead!.deadLetterErrorDescription).not.toContain('vendor answered 503');
    expect(dead!.messageId).toBe('ev1:validation:0:1');
    expect(dead!.body).toEqual({ eventId: 'ev1' });
    expect(dead!.deliveryCount).toBe(3);
    expect(dead!.applicationProperties).toMatchObject({
      tenantId: 't1',
      DeadLetterReason: MAX_DELIVERY_COUNT_EXCEEDED,
    });
    expect(await bus.peek(q)).toEqual([]);
  });

  it('completes a message that fails twice and succeeds on the third delivery (nothing dead-lettered)', async () => {
    const bus = busWith({ maxDeliveryCount: 3 });
    const q = queueName('flaky');
    await bus.send(q, { n: 1 }, { messageId: 'm-flaky' });
    const seen: number[] = [];
    const consumer = bus.startConsumer(
      q,
      async (message) => {
        seen.push(message.deliveryCount);
        if (message.deliveryCount < 3) throw new Error('transient');
        return complete;
      },
      { pollIntervalMs: 20 },
    );
    await eventually(async () => (seen.length >= 3 ? true : undefined));
    await consumer.stop();
    expect(seen).toEqual([1, 2, 3]);
    expect(await bus.peek(q)).toEqual([]);
    expect(await bus.peekDeadLetters(q)).toEqual([]);
  });

  it('an explicit dead-letter carries its reason and description, after one delivery', async () => {
    const bus = busWith();
    const q = queueName('explicit');
    await bus.send(q, { eventId: 'ev2' }, { messageId: 'ev2:sop-matching:0:1', correlationId: 'corr-2' });
    let calls = 0;
    const consumer = bus.startConsumer(
      q,
      async () => {
        calls++;
        return deadLetter('no_sop_matched', 'No SOP matches event type ticket.created for tenant t1.');
      },
      { pollIntervalMs: 20 },
    );
    const [dead] = await eventually(async () => {
      const dl = await bus.peekDeadLetters(q);
      return dl.length > 0 ? dl : undefined;
    });
    await consumer.stop();
    expect(calls).toBe(1);
    expect(dead).toMatchObject({
      messageId: 'ev2:sop-matching:0:1',
      correlationId: 'corr-2',
      deliveryCount: 1,
      deadLetterReason: 'no_sop_matched',
      deadLetterErrorDescription: 'No SOP matches event type ticket.created for tenant t1.',
      body: { eventId: 'ev2' },
    });
    expect(deadLetterQueueName(q)).toBe(`${q}-deadletter`);
    expect(await bus.peek(q)).toEqual([]);

    await bus.purgeDeadLetters(q);
    expect(await bus.peekDeadLetters(q)).toEqual([]);
  });

  it('an expired lock redelivers with a higher count; past maxDeliveryCount a crashed message is dead-lettered with the broker text only', async () => {
    const bus = busWith({ maxDeliveryCount: 2, lockDurationSeconds: 1 });
    const q = queueName('expiry');
    await bus.send(q, { x: 1 }, { messageId: 'm-expiry' });

    const [first] = await bus.receive(q);
    expect(first!.message.deliveryCount).toBe(1);
    // Abandon with an error: visible again; the broker keeps nothing of the error.
    await first!.abandon(new Error('first attempt blew up'));

    const second = await eventually(async () => (await bus.receive(q))[0]);
    expect(second.message.deliveryCount).toBe(2);
    // No settlement: the "process" dies and the lock runs out.

    // Every receive from here on is past maxDeliveryCount: none may hand the message out.
    const handedOut: LockedMessage[] = [];
    await eventually(async () => {
      handedOut.push(...(await bus.receive(q)));
      const dl = await bus.peekDeadLetters(q);
      return dl.length > 0 ? dl : undefined;
    });
    expect(handedOut).toEqual([]);
    const [dead] = await bus.peekDeadLetters(q);
    expect(dead!.deadLetterReason).toBe(MAX_DELIVERY_COUNT_EXCEEDED);
    expect(dead!.deadLetterErrorDescription).toContain('2 delivery attempts');
    expect(dead!.deliveryCount).toBe(2);
    expect(dead!.deadLetterErrorDescription).toBe('Message could not be consumed after 2 delivery attempts.');
    expect(await bus.peek(q)).toEqual([]);
  });

  it('a complete after the lock expired raises the lock-lost error even before anyone re-received it, and the message is redelivered', async () => {
    const bus = busWith({ lockDurationSeconds: 1 });
    const q = queueName('late');
    await bus.send(q, { late: true }, { messageId: 'm-late', applicationProperties: { tenantId: 't7' } });
    const [first] = await bus.receive(q);
    expect(first!.message.deliveryCount).toBe(1);
    // The lock runs out: the message is visible again (peek does not lock it), nobody received it yet.
    await eventually(async () => (await bus.peek(q)).length === 1);
    await expect(first!.complete()).rejects.toBeInstanceOf(LockLostError);
    await expect(first!.deadLetter('too_late', 'after expiry')).rejects.toThrow();
    expect(await bus.peekDeadLetters(q)).toEqual([]);

    const [again] = await bus.receive(q);
    expect(again!.message).toMatchObject({ messageId: 'm-late', deliveryCount: 2, body: { late: true } });
    expect(again!.message.applicationProperties).toEqual({ tenantId: 't7' });
    await again!.complete();
    expect(await depth(q)).toBe(0);
  });

  it('a dead-letter after the lock expired raises the lock-lost error and writes no copy', async () => {
    const bus = busWith({ lockDurationSeconds: 1 });
    const q = queueName('latedl');
    await bus.send(q, { late: true }, { messageId: 'm-late-dl' });
    const [first] = await bus.receive(q);
    await eventually(async () => (await bus.peek(q)).length === 1);
    await expect(first!.deadLetter('too_late', 'after expiry')).rejects.toBeInstanceOf(LockLostError);
    expect(await bus.peekDeadLetters(q)).toEqual([]);
    const [again] = await bus.receive(q);
    expect(again!.message.deliveryCount).toBe(2);
    await again!.complete();
  });

  it('renews the lock while a handler runs longer than the lock, so the message is not delivered twice', async () => {
    // Renewal runs every half lock: a 2 s lock leaves 1 s of slack per renewal on a busy machine.
    const warnings: string[] = [];
    const bus = busWith({
      lockDurationSeconds: 2,
      log: (level, message) => level !== 'info' && warnings.push(message),
    });
    const q = queueName('renew');
    await bus.send(q, { slow: true }, { messageId: 'm-slow' });
    const seen: number[] = [];
    let finished = 0;
    const consumer = bus.startConsumer(
      q,
      async (message) => {
        seen.push(message.deliveryCount);
        await sleep(4_500);
        finished++;
        return complete;
      },
      // Concurrency 2: a copy that reappeared when the lock ran out would be picked up at once.
      { pollIntervalMs: 20, concurrency: 2 },
    );
    await eventually(async () => (finished > 0 ? true : undefined));
    // A lost lock would have shown up while the handler ran: a second delivery (concurrency 2 picks
    // it up at once) or a refused completion. stop() waits for every in-flight handler.
    await consumer.stop();
    expect(seen).toEqual([1]);
    expect(warnings).toEqual([]);
    expect(await depth(q)).toBe(0); // completed = deleted
  });

  it('moves a message that is not a bus envelope to the dead-letter queue as InvalidEnvelope', async () => {
    const bus = busWith();
    const q = queueName('junk');
    await bus.peek(q); // creates the queue
    await account.queueService().getQueueClient(q).sendMessage('not json at all');
    expect(await bus.receive(q)).toEqual([]);
    const [dead] = await bus.peekDeadLetters(q);
    expect(dead!.deadLetterReason).toBe('InvalidEnvelope');
    expect(dead!.body).toBe('not json at all');
  });
});

describe('StorageQueueBus: duplicate detection', () => {
  it('drops a second send with the same message id and keeps a different id', async () => {
    const bus = busWith();
    const q = queueName('dedup');
    await bus.send(q, { copy: 'first' }, { messageId: 'ev3:validation:0:1' });
    await bus.send(q, { copy: 'second' }, { messageId: 'ev3:validation:0:1' });
    await bus.send(q, { copy: 'next stage' }, { messageId: 'ev3:sop-matching:0:1' });
    // The duplicate was dropped at the send: two messages are in the queue, not three.
    expect(await depth(q)).toBe(2);

    const handled: Array<{ id: string; body: unknown }> = [];
    const consumer = bus.startConsumer(
      q,
      async (message) => {
        handled.push({ id: message.messageId, body: message.body });
        return complete;
      },
      { pollIntervalMs: 20 },
    );
    await eventually(async () => (handled.length >= 2 && (await depth(q)) === 0 ? true : undefined));
    await consumer.stop();
    expect(handled.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'ev3:sop-matching:0:1', body: { copy: 'next stage' } },
      { id: 'ev3:validation:0:1', body: { copy: 'first' } },
    ]);
    expect(await bus.peek(q)).toEqual([]);
  });

  it('a second bus instance (another process) sees the same history', async () => {
    const q = queueName('dedup2');
    await busWith().send(q, { a: 1 }, { messageId: 'shared-id' });
    await busWith().send(q, { a: 2 }, { messageId: 'shared-id' });
    expect((await busWith().peek(q)).map((m) => m.body)).toEqual([{ a: 1 }]);
  });

  it('accepts the same id again once the detection window has passed', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const bus = busWith({ duplicateDetectionWindowMs: 10 * 60_000 });
    const q = queueName('window');
    await bus.send(q, { round: 1 }, { messageId: 'id-w' });
    clock.advance(9 * 60_000);
    await bus.send(q, { round: 2 }, { messageId: 'id-w' });
    expect((await bus.peek(q)).map((m) => m.body)).toEqual([{ round: 1 }]);
    clock.advance(2 * 60_000);
    await bus.send(q, { round: 3 }, { messageId: 'id-w' });
    expect((await bus.peek(q)).map((m) => m.body)).toEqual([{ round: 1 }, { round: 3 }]);
  });
});

describe('StorageQueueBus: scheduled enqueue', () => {
  it('does not deliver a scheduled message before its time on the injected clock, and delivers it once due', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const hidden = new Signals<string>();
    const bus = busWith({
      maxHideSeconds: 1,
      log: (_level, message, fields) => message === NOT_DUE_HIDDEN_AGAIN && hidden.push(String(fields?.['messageId'])),
    });
    const q = queueName('sched');
    const scheduled = new Date(clock.now() + 3_600_000);
    await bus.send(q, { later: true }, { messageId: 'm-later', scheduledEnqueueTimeUtc: scheduled });
    expect(await bus.receive(q, { maxMessages: 32 })).toEqual([]);

    // One millisecond short of its time: every receive hides it again (one message, never a copy).
    clock.advance(3_600_000 - 1);
    const delivered: LockedMessage[] = [];
    const hiddenBefore = hidden.seen.length;
    await eventually(async () => {
      delivered.push(...(await bus.receive(q)));
      return hidden.seen.length > hiddenBefore ? true : undefined;
    });
    expect(delivered).toEqual([]);
    expect(await depth(q)).toBe(1);

    clock.advance(1);
    const lock = await eventually(async () => (await bus.receive(q))[0]);
    expect(lock.message.body).toEqual({ later: true });
    // The receives that only re-hid it are not deliveries.
    expect(lock.message.deliveryCount).toBe(1);
    expect(lock.message.enqueuedTimeUtc.getTime()).toBe(scheduled.getTime());
    await lock.complete();
    expect(await depth(q)).toBe(0);
  });

  it('compresses the delay by the time scale (LOCAL_TIME_SCALE)', async () => {
    const bus = busWith({ timeScale: 1_800 });
    const q = queueName('scaled');
    // One hour ahead at 1800x is 2 s of wall-clock time.
    await bus.send(
      q,
      { scaled: true },
      { messageId: 'm-scaled', scheduledEnqueueTimeUtc: new Date(Date.now() + 3_600_000) },
    );
    expect(await bus.receive(q)).toEqual([]);
    const lock = await eventually(async () => (await bus.receive(q))[0]);
    expect(lock.message.body).toEqual({ scaled: true });
    await lock.complete();
  });

  it('a message that still owes delay (beyond the 7-day visibility limit) hops back into hiding', async () => {
    const bus = busWith();
    const q = queueName('hop');
    await bus.peek(q);
    const envelope = {
      v: 1,
      messageId: 'm-hop',
      body: { far: true },
      enqueuedTimeUtc: new Date().toISOString(),
      applicationProperties: {},
      remainingDelayMs: 1_500,
    };
    await account.queueService().getQueueClient(q).sendMessage(JSON.stringify(envelope));
    expect(await bus.receive(q)).toEqual([]); // received, found owing delay, re-hidden
    expect(await bus.peek(q)).toEqual([]);
    const lock = await eventually(async () => (await bus.receive(q))[0]);
    expect(lock.message.messageId).toBe('m-hop');
    expect(lock.message.deliveryCount).toBe(1);
    await lock.complete();
  });
});
