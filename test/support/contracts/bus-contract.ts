import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumerOptions, QueueConsumer } from '../../../shared/bus/consumer';
import { InvalidQueueNameError } from '../../../shared/bus/envelope';
import {
  complete,
  type DeadLetteredMessage,
  deadLetter,
  deadLetterInfo,
  MAX_DELIVERY_COUNT_EXCEEDED,
  type MessageHandler,
  type QueueBacklog,
  type ReceivedMessage,
  type SendOptions,
} from '../../../shared/bus/port';
import type { LockedMessage } from '../../../shared/bus/storage-queue-lock';
import { installClock, ManualClock } from '../../../shared/clock';
import { eventually, Signals } from '../wait';

/** What both buses offer the local host, the stage runner and tests (StorageQueueBus, MemoryBus). */
export interface ContractBus {
  send(queue: string, body: unknown, options: SendOptions): Promise<void>;
  receive(queue: string, options?: { maxMessages?: number; lockDurationSeconds?: number }): Promise<LockedMessage[]>;
  peek(queue: string, max?: number): Promise<ReceivedMessage[]>;
  peekDeadLetters(queue: string, max?: number): Promise<DeadLetteredMessage[]>;
  receiveDeadLetters(queue: string, options?: { maxMessages?: number }): Promise<LockedMessage[]>;
  forwardToDeadLetter(queue: string, message: ReceivedMessage, reason: string, description: string): Promise<void>;
  startConsumer(queue: string, handler: MessageHandler, options?: ConsumerOptions): QueueConsumer;
  backlog(queues: readonly string[]): Promise<QueueBacklog[]>;
}

export interface BusBackend {
  name: string;
  /**
   * A bus with these settings. A scheduled message must become receivable soon after the injected
   * clock passes its time (the storage bus re-checks hidden messages every `maxHideSeconds`).
   */
  bus(options: { maxDeliveryCount?: number; duplicateDetectionWindowMs?: number }): ContractBus;
}

/**
 * What the code relies on from the queue port and its receive side, written once and run against
 * every backend (docs/testing.md, "Contract tests"): the in-memory bus in the unit tier
 * (test/unit/bus-memory.test.ts) and the storage-queue emulation on Azurite in the integration tier
 * (test/integration/bus-contract.test.ts). Lock expiry on the wall clock and the crash windows
 * of the storage emulation stay in test/integration/bus-storage-queue.test.ts; they are that
 * adapter's own business.
 */
export function busContract(backend: BusBackend): void {
  const queueName = (tag: string) => `c-${tag}-${randomUUID().slice(0, 8)}`;
  let restoreClock: (() => void) | undefined;
  afterEach(() => {
    restoreClock?.();
    restoreClock = undefined;
  });

  async function receiveOne(bus: ContractBus, queue: string): Promise<LockedMessage> {
    return eventually(async () => (await bus.receive(queue))[0]);
  }

  describe(`bus contract (${backend.name}): send and peek-lock`, () => {
    it('delivers what was sent, with its id, correlation id, properties and a first delivery count of 1', async () => {
      const bus = backend.bus({});
      const q = queueName('send');
      await bus.send(
        q,
        { eventId: 'ev1', n: 1 },
        { messageId: 'm1', correlationId: 'corr-1', applicationProperties: { tenantId: 't1', attempt: 2, ok: true } },
      );
      const lock = await receiveOne(bus, q);
      expect(lock.message).toMatchObject({
        body: { eventId: 'ev1', n: 1 },
        messageId: 'm1',
        correlationId: 'corr-1',
        deliveryCount: 1,
        applicationProperties: { tenantId: 't1', attempt: 2, ok: true },
      });
      expect(lock.message.enqueuedTimeUtc).toBeInstanceOf(Date);
      expect(lock.lockedUntilUtc.getTime()).toBeGreaterThan(Date.now());
      // Locked: no one else receives it meanwhile.
      expect(await bus.receive(q)).toEqual([]);
      await lock.complete();
      expect(await bus.receive(q)).toEqual([]);
      expect(await bus.peek(q)).toEqual([]);
    });

    it('a settled message refuses a second settlement', async () => {
      const bus = backend.bus({});
      const q = queueName('twice');
      await bus.send(q, { x: 1 }, { messageId: 'm-twice' });
      const lock = await receiveOne(bus, q);
      await lock.complete();
      await expect(lock.abandon()).rejects.toThrow(/settled|lock/i);
    });

    it('refuses a queue name that is not valid on both Service Bus and storage queues', async () => {
      const bus = backend.bus({});
      await expect(bus.send('Bad_Name', {}, { messageId: 'm' })).rejects.toBeInstanceOf(InvalidQueueNameError);
    });
  });

  describe(`bus contract (${backend.name}): redelivery and dead-lettering`, () => {
    it('an abandoned message comes back with a higher delivery count, and past maxDeliveryCount goes to <queue>-deadletter', async () => {
      const bus = backend.bus({ maxDeliveryCount: 3 });
      const q = queueName('poison');
      await bus.send(q, { eventId: 'ev1' }, { messageId: 'ev1:validation', applicationProperties: { tenantId: 't1' } });
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const lock = await receiveOne(bus, q);
        counts.push(lock.message.deliveryCount);
        await lock.abandon(new Error('vendor answered 503'));
      }
      expect(counts).toEqual([1, 2, 3]);
      expect(await bus.receive(q)).toEqual([]);
      const [dead] = await eventually(async () => {
        const dl = await bus.peekDeadLetters(q);
        return dl.length > 0 ? dl : undefined;
      });
      expect(dead?.messageId).toBe('ev1:validation');
      expect(dead?.deadLetterReason).toBe(MAX_DELIVERY_COUNT_EXCEEDED);
      expect(dead?.deadLetterErrorDescription).toContain('3 delivery attempts');
      // The broker's words only: the application's error never reaches the dead-letter copy.
      expect(dead?.deadLetterErrorDescription).not.toContain('503');
      expect(dead?.applicationProperties['tenantId']).toBe('t1');
    });

    it('an explicit dead-letter carries its reason and description after one delivery, readable by deadLetterInfo', async () => {
      const bus = backend.bus({});
      const q = queueName('explicit');
      await bus.send(q, { bad: true }, { messageId: 'm-bad' });
      const lock = await receiveOne(bus, q);
      await lock.settle(deadLetter('validation_failed', 'payload is not an Autotask ticket'));
      const [copy] = await eventually(async () => {
        const got = await bus.receiveDeadLetters(q);
        return got.length > 0 ? got : undefined;
      });
      expect(copy?.message.body).toEqual({ bad: true });
      expect(deadLetterInfo(copy!.message)).toEqual({
        reason: 'validation_failed',
        description: 'payload is not an Autotask ticket',
      });
      await copy?.complete();
      expect(await bus.peek(q)).toEqual([]);
    });

    it('forwardToDeadLetter writes one copy per message id, however often it is called', async () => {
      const bus = backend.bus({});
      const q = queueName('forward');
      await bus.send(q, { n: 1 }, { messageId: 'm-fwd' });
      const lock = await receiveOne(bus, q);
      await bus.forwardToDeadLetter(q, lock.message, 'Forwarded', 'the trigger could not settle it');
      await bus.forwardToDeadLetter(q, lock.message, 'Forwarded', 'the trigger could not settle it');
      await lock.complete();
      const dead = await eventually(async () => {
        const dl = await bus.peekDeadLetters(q);
        return dl.length > 0 ? dl : undefined;
      });
      expect(dead.map((d) => [d.messageId, d.deadLetterReason])).toEqual([['m-fwd', 'Forwarded']]);
    });

    it('a consumer settles by the handler: complete, dead-letter, or a throw that redelivers', async () => {
      const bus = backend.bus({ maxDeliveryCount: 5 });
      const q = queueName('consumer');
      const handled = new Signals<string>();
      const attempts = new Map<string, number>();
      const consumer = bus.startConsumer(
        q,
        async (message) => {
          const id = message.messageId;
          attempts.set(id, message.deliveryCount);
          handled.push(`${id}#${message.deliveryCount}`);
          if (id === 'm-dead') return deadLetter('refused', 'no');
          if (id === 'm-flaky' && message.deliveryCount < 2) throw new Error('transient');
          return complete;
        },
        { pollIntervalMs: 10, concurrency: 2 },
      );
      const done = Promise.all([
        handled.next((s) => s === 'm-ok#1'),
        handled.next((s) => s === 'm-dead#1'),
        handled.next((s) => s === 'm-flaky#2'),
      ]);
      for (const id of ['m-ok', 'm-dead', 'm-flaky']) await bus.send(q, { id }, { messageId: id });
      await done;
      await consumer.stop();
      expect(attempts.get('m-ok')).toBe(1);
      expect(attempts.get('m-flaky')).toBe(2);
      expect((await bus.peekDeadLetters(q)).map((d) => d.messageId)).toEqual(['m-dead']);
      expect(await bus.peek(q)).toEqual([]);
    });
  });

  describe(`bus contract (${backend.name}): backlog`, () => {
    it('counts the messages waiting in each queue and in its dead-letter queue; an unused queue is zero', async () => {
      const bus = backend.bus({});
      const q = queueName('backlog');
      const empty = queueName('backlog-empty');
      for (const n of [1, 2, 3]) await bus.send(q, { n }, { messageId: `m-${n}` });
      const lock = await receiveOne(bus, q);
      await lock.settle(deadLetter('validation_failed', 'not a ticket'));
      await eventually(async () => ((await bus.peekDeadLetters(q)).length > 0 ? true : undefined));
      expect(await bus.backlog([q, empty])).toEqual([
        { queue: q, active: 2, deadLettered: 1 },
        { queue: empty, active: 0, deadLettered: 0 },
      ]);
    });
  });

  describe(`bus contract (${backend.name}): duplicate detection`, () => {
    it('drops a second send with the same message id inside the window and keeps a different id', async () => {
      const bus = backend.bus({});
      const q = queueName('dedup');
      await bus.send(q, { copy: 1 }, { messageId: 'same' });
      await bus.send(q, { copy: 2 }, { messageId: 'same' });
      await bus.send(q, { copy: 3 }, { messageId: 'other' });
      const got: unknown[] = [];
      for (let i = 0; i < 2; i++) {
        const lock = await receiveOne(bus, q);
        got.push(lock.message.body);
        await lock.complete();
      }
      expect(got).toEqual(expect.arrayContaining([{ copy: 1 }, { copy: 3 }]));
      expect(await bus.receive(q, { maxMessages: 32 })).toEqual([]);
    });

    it('accepts the same id again once the window has passed on the injected clock', async () => {
      const clock = new ManualClock(Date.now());
      restoreClock = installClock(clock);
      const bus = backend.bus({ duplicateDetectionWindowMs: 60_000 });
      const q = queueName('window');
      await bus.send(q, { copy: 1 }, { messageId: 'again' });
      await (await receiveOne(bus, q)).complete();
      clock.advance(60_001);
      await bus.send(q, { copy: 2 }, { messageId: 'again' });
      const lock = await receiveOne(bus, q);
      expect(lock.message.body).toEqual({ copy: 2 });
      await lock.complete();
    });
  });

  describe(`bus contract (${backend.name}): scheduled enqueue`, () => {
    it('a scheduled message is not delivered before its time on the injected clock, then once, as its first delivery', async () => {
      const clock = new ManualClock(Date.now());
      restoreClock = installClock(clock);
      const bus = backend.bus({});
      const q = queueName('sched');
      const due = new Date(clock.now() + 3_600_000);
      await bus.send(q, { later: true }, { messageId: 'm-later', scheduledEnqueueTimeUtc: due });
      expect(await bus.receive(q, { maxMessages: 32 })).toEqual([]);
      clock.advance(3_600_000);
      const lock = await receiveOne(bus, q);
      expect(lock.message.body).toEqual({ later: true });
      expect(lock.message.deliveryCount).toBe(1);
      expect(lock.message.enqueuedTimeUtc.getTime()).toBe(due.getTime());
      await lock.complete();
    });
  });
}
