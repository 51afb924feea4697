import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CRASH_AFTER_DEDUP_RESERVE,
  CRASH_AFTER_QUEUE_SEND,
  StorageQueueBus,
  type StorageQueueBusOptions,
} from '../../shared/bus/storage-queue-bus';
import { CRASH_AFTER_DEAD_LETTER_COPY } from '../../shared/bus/storage-queue-lock';
import { installClock, ManualClock } from '../../shared/clock';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { eventually } from '../support/wait';

/**
 * The send path writes a dedup row (pending, with the envelope), then the queue message, then marks
 * the row sent. These tests kill the sender between those steps (injected crash points, thrown
 * in-process) and prove that what was accepted still arrives — exactly once where the design
 * promises it, at least once in the one window it does not.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const dedupTable = `busdedupcrash${process.pid}${Date.now().toString(36)}`;
const queueName = (tag: string) => `t-${tag}-${randomUUID().slice(0, 8)}`;

class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

/** Messages in the queue, visible or not: 0 once every message was settled (deleted). */
async function depth(queue: string): Promise<number> {
  return (await account.queueService().getQueueClient(queue).getProperties()).approximateMessagesCount ?? 0;
}

/** A fresh instance per "process": no in-memory state survives the crash. */
const processBus = (options: StorageQueueBusOptions = {}) =>
  new StorageQueueBus(account, { dedupTableName: dedupTable, pendingSendWaitMs: 300, ...options });

let restoreClock: (() => void) | undefined;
beforeAll(() => {
  setCrashHandler((name) => {
    throw new SimulatedCrash(name);
  });
});
afterEach(() => {
  disarmCrashPoints();
  restoreClock?.();
  restoreClock = undefined;
});

describe('StorageQueueBus: a crash between the dedup row and the queue send', () => {
  it('the retry with the same message id is not dropped as a duplicate: the accepted message arrives once', async () => {
    const q = queueName('crash');
    armCrashPoint(CRASH_AFTER_DEDUP_RESERVE);
    await expect(processBus().send(q, { attempt: 'original' }, { messageId: 'ev9:validation:0:1' })).rejects.toThrow(
      SimulatedCrash,
    );
    expect(await processBus().peek(q)).toEqual([]); // the row exists, the message does not

    // The caller never got an ack, so it retries after its own restart.
    await processBus().send(q, { attempt: 'retry' }, { messageId: 'ev9:validation:0:1' });
    const after = await processBus().peek(q);
    expect(after.map((m) => m.messageId)).toEqual(['ev9:validation:0:1']);
    // The accepted envelope is the one sent (a takeover never mixes two bodies).
    expect(after[0]!.body).toEqual({ attempt: 'original' });

    // And from then on it is an ordinary duplicate.
    await processBus().send(q, { attempt: 'third' }, { messageId: 'ev9:validation:0:1' });
    expect(await processBus().peek(q)).toHaveLength(1);
  });

  it('a pending row whose sender is long gone (by the injected clock) is taken over at once', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const q = queueName('stale');
    armCrashPoint(CRASH_AFTER_DEDUP_RESERVE);
    await expect(processBus().send(q, { n: 1 }, { messageId: 'm-stale' })).rejects.toThrow(SimulatedCrash);
    clock.advance(31_000);
    // With a 60 s wait budget the retry would outlive the test timeout unless staleness short-cuts it.
    await processBus({ pendingSendWaitMs: 60_000 }).send(q, { n: 1 }, { messageId: 'm-stale' });
    expect((await processBus().peek(q)).map((m) => m.messageId)).toEqual(['m-stale']);
  });

  it('without any retry, the sweep re-sends the accepted message once its sender is stale', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const q = queueName('sweep');
    armCrashPoint(CRASH_AFTER_DEDUP_RESERVE);
    await expect(processBus().send(q, { orphan: true }, { messageId: 'm-orphan' })).rejects.toThrow(SimulatedCrash);

    const bus = processBus();
    const early = await bus.sweepDedup();
    expect(early.resent).toBe(0); // its sender may still be working: left alone
    expect(await bus.peek(q)).toEqual([]);

    clock.advance(31_000);
    const swept = await bus.sweepDedup();
    expect(swept.resent).toBeGreaterThanOrEqual(1);
    expect((await bus.peek(q)).map((m) => m.body)).toEqual([{ orphan: true }]);

    // The row is now `sent`: a late retry from the original caller is a duplicate.
    await bus.send(q, { orphan: true }, { messageId: 'm-orphan' });
    expect(await bus.peek(q)).toHaveLength(1);
  });

  it('a crash after the queue send never loses the message; a retry in that window adds one duplicate', async () => {
    const q = queueName('aftersend');
    armCrashPoint(CRASH_AFTER_QUEUE_SEND);
    await expect(processBus().send(q, { n: 1 }, { messageId: 'm-after' })).rejects.toThrow(SimulatedCrash);
    expect(await processBus().peek(q)).toHaveLength(1);
    // The documented at-least-once window (docs/bus.md): handlers are idempotent per docs/design.md §6.5.
    await processBus().send(q, { n: 1 }, { messageId: 'm-after' });
    expect((await processBus().peek(q)).map((m) => m.messageId)).toEqual(['m-after', 'm-after']);
    await processBus().send(q, { n: 1 }, { messageId: 'm-after' });
    expect(await processBus().peek(q)).toHaveLength(2);
  });

  it('the sweep drops dedup rows older than the window, after which the id is accepted again', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const q = queueName('purge');
    const bus = processBus({ duplicateDetectionWindowMs: 60_000 });
    await bus.send(q, { round: 1 }, { messageId: 'm-purge' });
    clock.advance(61_000);
    const swept = await bus.sweepDedup();
    expect(swept.purged).toBeGreaterThanOrEqual(1);
    await bus.send(q, { round: 2 }, { messageId: 'm-purge' });
    expect((await bus.peek(q)).map((m) => m.body)).toEqual([{ round: 1 }, { round: 2 }]);
  });
});

describe('StorageQueueBus: a crash between the dead-letter copy and the delete of the original', () => {
  it('an explicit dead-letter: the original comes back, and dead-lettering it again leaves one copy', async () => {
    const q = queueName('dlcrash');
    const bus = processBus({ lockDurationSeconds: 1 });
    await bus.send(q, { bad: true }, { messageId: 'm-dl', applicationProperties: { tenantId: 't1' } });
    const [first] = await bus.receive(q);
    armCrashPoint(CRASH_AFTER_DEAD_LETTER_COPY);
    await expect(first!.deadLetter('validation_failed', 'ticketId missing')).rejects.toThrow(SimulatedCrash);
    expect(await bus.peekDeadLetters(q)).toHaveLength(1);

    // After the "restart" the original is delivered again once its lock runs out, and handled alike.
    const restarted = processBus({ lockDurationSeconds: 1 });
    const again = await eventually(async () => (await restarted.receive(q))[0]);
    expect(again.message.deliveryCount).toBe(2);
    await again.deadLetter('validation_failed', 'ticketId missing');

    const letters = await restarted.peekDeadLetters(q);
    expect(letters.map((l) => [l.messageId, l.deadLetterReason])).toEqual([['m-dl', 'validation_failed']]);
    expect(letters[0]!.applicationProperties).toMatchObject({ tenantId: 't1' });
    expect(await restarted.peek(q)).toEqual([]);
  });

  it('past maxDeliveryCount on receive: the copy is written once even when the receive dies after it', async () => {
    const q = queueName('dlmax');
    const bus = processBus({ lockDurationSeconds: 1, maxDeliveryCount: 1 });
    await bus.send(q, { poison: true }, { messageId: 'm-max' });
    const [first] = await bus.receive(q);
    expect(first!.message.deliveryCount).toBe(1);
    // The handler's process dies: no settlement; the next receive finds it past the limit.
    armCrashPoint(CRASH_AFTER_DEAD_LETTER_COPY);
    let crash: unknown;
    await eventually(async () => {
      try {
        await bus.receive(q);
      } catch (error) {
        crash = error;
        return true;
      }
      return undefined;
    });
    expect(crash).toBeInstanceOf(SimulatedCrash);
    expect(await bus.peekDeadLetters(q)).toHaveLength(1);

    const restarted = processBus({ lockDurationSeconds: 1, maxDeliveryCount: 1 });
    const handedOut: unknown[] = [];
    await eventually(async () => {
      handedOut.push(...(await restarted.receive(q)));
      return (await depth(q)) === 0 ? true : undefined;
    });
    expect(handedOut).toEqual([]);
    const letters = await restarted.peekDeadLetters(q);
    expect(letters.map((l) => [l.messageId, l.deadLetterReason])).toEqual([['m-max', 'MaxDeliveryCountExceeded']]);
  });
});
