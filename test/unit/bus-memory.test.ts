import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../shared/bus/memory-bus';
import { MAX_DELIVERY_COUNT_EXCEEDED } from '../../shared/bus/port';
import { LockLostError } from '../../shared/bus/storage-queue-lock';
import { installClock, ManualClock } from '../../shared/clock';
import { busContract } from '../support/contracts/bus-contract';

// The bus contract on the in-memory bus; the same cases run on the storage-queue bus in integration.
busContract({ name: 'memory', bus: (options) => new MemoryBus(options) });

/**
 * Lock expiry: the storage emulation measures it on the wall clock (its own integration test);
 * the memory bus measures it on the injected clock, so here the clock moves instead of a test waiting.
 */
describe('MemoryBus locks on the injected clock', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it('a lock that ran out refuses settlement, the message comes back, and past maxDeliveryCount a receive dead-letters it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    restore = installClock(clock);
    const bus = new MemoryBus({ maxDeliveryCount: 2, lockDurationSeconds: 30 });
    await bus.send('stage-q', { n: 1 }, { messageId: 'm1' });

    const [first] = await bus.receive('stage-q');
    clock.advance(30_000);
    await expect(first!.complete()).rejects.toBeInstanceOf(LockLostError);
    const [second] = await bus.receive('stage-q');
    expect(second?.message.deliveryCount).toBe(2);
    await expect(first!.renewLock()).rejects.toBeInstanceOf(LockLostError);

    // The second holder dies too: nobody abandons, the lock runs out, the next receive dead-letters.
    clock.advance(30_000);
    expect(await bus.receive('stage-q')).toEqual([]);
    const [dead] = await bus.peekDeadLetters('stage-q');
    expect(dead?.deadLetterReason).toBe(MAX_DELIVERY_COUNT_EXCEEDED);
    expect(dead?.deadLetterErrorDescription).toContain('2 delivery attempts');
  });

  it('renewing a held lock keeps the message from everyone else', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    restore = installClock(clock);
    const bus = new MemoryBus({ lockDurationSeconds: 30 });
    await bus.send('stage-q', { n: 1 }, { messageId: 'm1' });
    const [lock] = await bus.receive('stage-q');
    clock.advance(20_000);
    await lock!.renewLock();
    clock.advance(20_000);
    expect(await bus.receive('stage-q')).toEqual([]);
    await lock!.complete();
  });
});
