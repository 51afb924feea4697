import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ReceivedMessage, Settlement } from '../../shared/bus/port';
import { retryOrDeadLetter } from '../../shared/bus/retry';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { eventually } from '../support/http';

/**
 * The scheduled re-send primitive on the emulated bus: a step that always fails transiently runs
 * once plus three retries, each a fresh message scheduled after its backoff, and then lands in the
 * dead-letter queue with the stage's own reason.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const queueName = (tag: string) => `t-${tag}-${randomUUID().slice(0, 8)}`;

interface StepBody {
  eventId: string;
  attempt: number;
}

describe('retryOrDeadLetter on the emulated bus', () => {
  it('runs a step that always fails 4 times, spaced by backoff, then dead-letters it', async () => {
    const bus = new StorageQueueBus(account, { lockDurationSeconds: 5 });
    const queue = queueName('retry');
    const policy = { baseMs: 400, maxMs: 2000, maxRetries: 3 };
    const calls: { messageId: string; deliveryCount: number; attempt: number; at: number }[] = [];
    const handler = async (message: ReceivedMessage): Promise<Settlement> => {
      const body = message.body as StepBody;
      calls.push({
        messageId: message.messageId,
        deliveryCount: message.deliveryCount,
        attempt: body.attempt,
        at: Date.now(),
      });
      const decision = await retryOrDeadLetter(
        bus,
        queue,
        { eventId: body.eventId, stage: 'tool-call', step: 'note', attempt: body.attempt },
        (attempt) => ({ ...body, attempt }),
        { reason: 'vendor_unavailable', description: 'the vendor answered 503' },
        policy,
      );
      return decision.settlement;
    };
    const consumer = bus.startConsumer(queue, handler, { pollIntervalMs: 50, maxPollIntervalMs: 100 });
    try {
      await bus.send(queue, { eventId: 'evt1', attempt: 0 }, { messageId: 'evt1:tool-call:note:0' });
      const letter = await eventually(async () => (await bus.peekDeadLetters(queue))[0], 30_000);
      expect(letter.deadLetterReason).toBe('vendor_unavailable');
      expect(letter.deadLetterErrorDescription).toBe('the vendor answered 503 (gave up after 4 attempts)');
      expect(letter.messageId).toBe('evt1:tool-call:note:3');
    } finally {
      await consumer.stop();
    }
    expect(calls.map((c) => c.messageId)).toEqual([0, 1, 2, 3].map((n) => `evt1:tool-call:note:${n}`));
    // Each retry is a new message, not a redelivery of the old one.
    expect(calls.map((c) => c.deliveryCount)).toEqual([1, 1, 1, 1]);
    // Retry n waited at least half its backoff ceiling: 200, 400, 800 ms (loose lower bounds only).
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    for (const [i, min] of [200, 400, 800].entries()) expect(gaps[i]).toBeGreaterThanOrEqual(min - 50);
  });

  it("waits for the vendor's Retry-After instead of the computed backoff", async () => {
    const bus = new StorageQueueBus(account, { lockDurationSeconds: 5 });
    const queue = queueName('after');
    const seen: number[] = [];
    const consumer = bus.startConsumer(
      queue,
      async (message) => {
        const body = message.body as StepBody;
        seen.push(Date.now());
        if (body.attempt > 0) return { kind: 'complete' };
        const decision = await retryOrDeadLetter(
          bus,
          queue,
          { eventId: body.eventId, stage: 'tool-call', step: 'note', attempt: body.attempt },
          (attempt) => ({ ...body, attempt }),
          { reason: 'vendor_throttled', description: '429', retryAfterMs: 1500 },
          { baseMs: 10, maxMs: 60_000, maxRetries: 3 },
        );
        return decision.settlement;
      },
      { pollIntervalMs: 50, maxPollIntervalMs: 100 },
    );
    try {
      await bus.send(queue, { eventId: 'evt2', attempt: 0 }, { messageId: 'evt2:tool-call:note:0' });
      await eventually(async () => (seen.length === 2 ? true : undefined), 20_000);
    } finally {
      await consumer.stop();
    }
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(1400);
  });
});
