import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { complete, type ReceivedMessage, type Settlement } from '../../shared/bus/port';
import { type BackoffPolicy, parseRetryAfter, type RetryDecision, retryOrDeadLetter } from '../../shared/bus/retry';
import { NOT_DUE_HIDDEN_AGAIN, StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { installClock, ManualClock } from '../../shared/clock';
import { resetSettingsCache } from '../../shared/config/settings';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { eventually, Signals } from '../support/wait';

/**
 * The scheduled re-send primitive on the emulated bus with real Azurite, timed by a ManualClock:
 * the bus hides a scheduled message for at most 1 s of real time and then re-checks it against the
 * clock, so "not before its time" is proven by moving the clock to one millisecond short of the
 * due time and watching the bus hide it again — twice, so at least one whole receive happened
 * after the clock moved — before moving the last millisecond.
 */
const connection = process.env.TEST_STORAGE_CONNECTION!;
const account = storageAccountFromConnectionString(connection);
const queueName = (tag: string) => `t-${tag}-${randomUUID().slice(0, 8)}`;

interface StepBody {
  eventId: string;
  attempt: number;
}

beforeAll(() => {
  // retryOrDeadLetter reads its Retry-After ceiling from the settings (RETRY_AFTER_MAX_SECONDS, default).
  process.env.DataStorage = connection;
  process.env.BUS_MODE = 'storage-queues';
  process.env.HUB_ENVIRONMENT = 'development';
  delete process.env.RETRY_AFTER_MAX_SECONDS;
  resetSettingsCache();
});

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
});

/** A bus on a ManualClock, reporting each time it hides a not-yet-due message again. */
function clockedBus() {
  const clock = new ManualClock(Date.now());
  restoreClock = installClock(clock);
  const hidden = new Signals<string>();
  const bus = new StorageQueueBus(account, {
    lockDurationSeconds: 5,
    maxHideSeconds: 1,
    log: (_level, message, fields) => {
      if (message === NOT_DUE_HIDDEN_AGAIN) hidden.push(String(fields?.['messageId']));
    },
  });
  return { clock, bus, hidden };
}

/** The clock stands 1 ms before `messageId` is due: the bus must keep hiding it. */
async function heldBack(hidden: Signals<string>, messageId: string): Promise<void> {
  await hidden.next((id) => id === messageId);
  await hidden.next((id) => id === messageId);
}

interface Call {
  messageId: string;
  deliveryCount: number;
  attempt: number;
  correlationId: string | undefined;
  applicationProperties: ReceivedMessage['applicationProperties'];
}

/** A stage handler whose step always fails transiently with the given Retry-After header. */
function failingStep(
  bus: StorageQueueBus,
  queue: string,
  policy: BackoffPolicy,
  retryAfter: string | undefined,
  calls: Call[],
  decisions: RetryDecision[],
) {
  return async (message: ReceivedMessage): Promise<Settlement> => {
    const body = message.body as StepBody;
    calls.push({
      messageId: message.messageId,
      deliveryCount: message.deliveryCount,
      attempt: body.attempt,
      correlationId: message.correlationId,
      applicationProperties: message.applicationProperties,
    });
    const decision = await retryOrDeadLetter(
      bus,
      queue,
      { eventId: body.eventId, stage: 'tool-call', step: 'note', attempt: body.attempt },
      (attempt) => ({ ...body, attempt }),
      {
        reason: 'vendor_unavailable',
        description: 'the vendor answered 503',
        retryAfterMs: parseRetryAfter(retryAfter),
        message,
      },
      policy,
    );
    decisions.push(decision);
    return decision.settlement;
  };
}

describe('retryOrDeadLetter on the emulated bus', () => {
  it('runs a step that always fails 4 times, each retry held back by its growing backoff, then dead-letters it with the original properties', async () => {
    const { clock, bus, hidden } = clockedBus();
    const queue = queueName('retry');
    const policy = { baseMs: 400, maxMs: 2000, maxRetries: 3 };
    const calls: Call[] = [];
    const decisions: RetryDecision[] = [];
    // Retry-After: 0 is "no wait needed": it must fall back to the backoff, not retry at once.
    const consumer = bus.startConsumer(queue, failingStep(bus, queue, policy, '0', calls, decisions), {
      pollIntervalMs: 50,
      maxPollIntervalMs: 100,
    });
    try {
      await bus.send(
        queue,
        { eventId: 'evt1', attempt: 0 },
        {
          messageId: 'evt1:tool-call:note:0',
          correlationId: 'corr-evt1',
          applicationProperties: { tenantId: 't-42', vendor: 'autotask', replay: false },
        },
      );
      for (const [i, ceiling] of [400, 800, 1600].entries()) {
        await eventually(() => decisions.length === i + 1);
        const next = decisions[i]!.next!;
        // Backoff with jitter in [d/2, d], d doubling per retry: growth measured where the bus runs.
        expect(next.delayMs).toBeGreaterThanOrEqual(ceiling / 2);
        expect(next.delayMs).toBeLessThanOrEqual(ceiling);
        clock.advance(next.delayMs - 1);
        await heldBack(hidden, next.messageId);
        expect(calls).toHaveLength(i + 1);
        clock.advance(1);
      }
      const letter = await eventually(async () => (await bus.peekDeadLetters(queue))[0]);
      expect(letter.deadLetterReason).toBe('vendor_unavailable');
      expect(letter.deadLetterErrorDescription).toBe('the vendor answered 503 (gave up after 4 attempts)');
      expect(letter.messageId).toBe('evt1:tool-call:note:3');
      expect(letter.applicationProperties).toMatchObject({ tenantId: 't-42', vendor: 'autotask', replay: false });
    } finally {
      await consumer.stop();
    }
    expect(calls.map((c) => c.messageId)).toEqual([0, 1, 2, 3].map((n) => `evt1:tool-call:note:${n}`));
    // Each retry is a new message, not a redelivery of the old one...
    expect(calls.map((c) => c.deliveryCount)).toEqual([1, 1, 1, 1]);
    // ...that carries what the original carried: tenant, vendor, correlation id.
    for (const call of calls) {
      expect(call.applicationProperties).toEqual({ tenantId: 't-42', vendor: 'autotask', replay: false });
      expect(call.correlationId).toBe('corr-evt1');
    }
  });

  it("waits a vendor's Retry-After: 3600 for the full hour, not the backoff maximum", async () => {
    const { clock, bus, hidden } = clockedBus();
    const queue = queueName('after');
    // maxMs (5 s) is far below the hour: the Retry-After ceiling is the setting (3600 s by default).
    const policy = { baseMs: 1_000, maxMs: 5_000, maxRetries: 3 };
    const calls: Call[] = [];
    const decisions: RetryDecision[] = [];
    const step = failingStep(bus, queue, policy, '3600', calls, decisions);
    const retried = new Signals<string>();
    const consumer = bus.startConsumer(
      queue,
      async (message) => {
        if ((message.body as StepBody).attempt === 0) return step(message);
        retried.push(message.messageId);
        return complete;
      },
      { pollIntervalMs: 50, maxPollIntervalMs: 100 },
    );
    try {
      await bus.send(queue, { eventId: 'evt2', attempt: 0 }, { messageId: 'evt2:tool-call:note:0' });
      await eventually(() => decisions.length === 1);
      const next = decisions[0]!.next!;
      expect(next.delayMs).toBe(3_600_000);
      clock.advance(3_600_000 - 1);
      await heldBack(hidden, next.messageId);
      expect(retried.seen).toEqual([]);
      clock.advance(1);
      expect(await retried.next()).toBe('evt2:tool-call:note:1');
    } finally {
      await consumer.stop();
    }
    expect(calls.map((c) => c.messageId)).toEqual(['evt2:tool-call:note:0']);
  });
});
