import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFunctionsCore } from '../../local/functions-core-shim';
import { type QueueTriggerRunner, startQueueTriggers } from '../../local/queue-runner';
import { FunctionRegistry } from '../../local/registry';
import {
  complete,
  deadLetter,
  deadLetterInfo,
  MAX_DELIVERY_COUNT_EXCEEDED,
  type ReceivedMessage,
} from '../../shared/bus/port';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { eventually, Signals } from '../support/wait';

/**
 * End to end through the local host's path: registrations captured by the functions-core shim
 * (as `npm start` does), invoked by the queue runner as the Functions host would, settled on the
 * emulated bus. The domain handlers below are what functions/ would register on Azure.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const suffix = randomUUID().slice(0, 8);
const queues = {
  ok: `rq-ok-${suffix}`,
  flaky: `rq-flaky-${suffix}`,
  poison: `rq-poison-${suffix}`,
  reject: `rq-reject-${suffix}`,
  plain: `rq-plain-${suffix}`,
  slow: `rq-slow-${suffix}`,
};

const seen = {
  ok: [] as ReceivedMessage[],
  flaky: [] as number[],
  poison: [] as number[],
  failures: [] as Array<{ messageId: string; reason: string; description: string; deliveryCount: number }>,
  plain: [] as unknown[],
  /** The order in which the slow handler and runner.stop() finish. */
  finished: [] as string[],
};
/** The slow handler runs until the test opens this gate. */
let openGate: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  openGate = resolve;
});
const slowStarted = new Signals<string>();

/** Messages in the queue, visible or locked: 0 once every message was completed (deleted). */
async function depth(queue: string): Promise<number> {
  return (await account.queueService().getQueueClient(queue).getProperties()).approximateMessagesCount ?? 0;
}

const registry = new FunctionRegistry();
const logs: Array<{ level: string; message: string }> = [];
let runner: QueueTriggerRunner;
let bus: StorageQueueBus;
let uninstall: () => void;

beforeAll(async () => {
  uninstall = installFunctionsCore(registry, () => {});
  // Loaded after the shim, like the local host loads dist/functions/*.js.
  const { registerQueueHandler } = await import('../../shared/bus/trigger');
  const { app } = await import('@azure/functions');

  registerQueueHandler('rq-ok', queues.ok, async (message) => {
    seen.ok.push(message);
    return complete;
  });
  registerQueueHandler('rq-flaky', queues.flaky, async (message) => {
    seen.flaky.push(message.deliveryCount);
    if (message.deliveryCount < 3) throw new Error('vendor timeout');
    return complete;
  });
  registerQueueHandler('rq-poison', queues.poison, async (message) => {
    seen.poison.push(message.deliveryCount);
    throw new Error('cannot parse payload');
  });
  registerQueueHandler('rq-reject', queues.reject, async () =>
    deadLetter('validation_failed', 'payload.ticketId is required'),
  );
  // The Failure Analysis shape: a consumer of the dead-letter queues, reading reason/description.
  for (const source of [queues.poison, queues.reject]) {
    registerQueueHandler(`rq-dlq-${source}`, `${source}-deadletter`, async (message) => {
      const info = deadLetterInfo(message);
      seen.failures.push({
        messageId: message.messageId,
        reason: info?.reason ?? '',
        description: info?.description ?? '',
        deliveryCount: message.deliveryCount,
      });
      return complete;
    });
  }
  registerQueueHandler('rq-slow', queues.slow, async (message) => {
    slowStarted.push(message.messageId);
    await gate;
    seen.finished.push('handler');
    return complete;
  });
  // A function registered straight on @azure/functions (returns nothing): success completes it.
  app.serviceBusQueue('rq-plain', {
    queueName: queues.plain,
    connection: 'ServiceBusConnection',
    handler: async (body, context) => {
      seen.plain.push(body);
      context.log('plain handler ran');
    },
  });

  bus = new StorageQueueBus(account, {
    maxDeliveryCount: 3,
    lockDurationSeconds: 5,
    dedupTableName: `busdedupruner${process.pid}`,
  });
  runner = await startQueueTriggers({
    registry,
    bus,
    log: (level, message) => logs.push({ level, message }),
    pollIntervalMs: 20,
    maxPollIntervalMs: 100,
  });
});

afterAll(async () => {
  await runner?.stop();
  uninstall?.();
});

describe('local queue runner + registerQueueHandler', () => {
  it('serves every registered serviceBusTrigger queue', () => {
    expect(registry.byTrigger('serviceBusTrigger')).toHaveLength(8);
    expect([...runner.queues].sort()).toEqual(
      [
        queues.ok,
        queues.flaky,
        queues.poison,
        queues.reject,
        queues.plain,
        queues.slow,
        `${queues.poison}-deadletter`,
        `${queues.reject}-deadletter`,
      ].sort(),
    );
  });

  it('hands the handler the body and the message metadata the Functions host provides', async () => {
    await bus.send(
      queues.ok,
      { eventId: 'ev-1', tenantId: 't1' },
      {
        messageId: 'ev-1:validation:0:1',
        correlationId: 'corr-1',
        applicationProperties: { TenantId: 't1', attempt: 1, replay: false },
      },
    );
    await eventually(() => seen.ok.length === 1);
    const [message] = seen.ok;
    expect(message).toMatchObject({
      body: { eventId: 'ev-1', tenantId: 't1' },
      messageId: 'ev-1:validation:0:1',
      deliveryCount: 1,
      correlationId: 'corr-1',
      // The Node worker lower-cases the first letter of property names; so does the local host.
      applicationProperties: { tenantId: 't1', attempt: 1, replay: false },
    });
    expect(message!.enqueuedTimeUtc).toBeInstanceOf(Date);
    await eventually(async () => (await bus.peek(queues.ok)).length === 0);
  });

  it('a throw abandons: redelivered with a rising deliveryCount until it succeeds', async () => {
    await bus.send(queues.flaky, { n: 1 }, { messageId: 'flaky-1' });
    // Completed means deleted: once the queue is empty no further delivery can come.
    await eventually(async () => seen.flaky.length >= 3 && (await depth(queues.flaky)) === 0);
    expect(seen.flaky).toEqual([1, 2, 3]);
    expect(await bus.peekDeadLetters(queues.flaky)).toEqual([]);
  });

  it('past maxDeliveryCount the message reaches the dead-letter queue and its consumer, with the reason', async () => {
    await bus.send(queues.poison, { bad: true }, { messageId: 'poison-1' });
    await eventually(() => seen.failures.some((f) => f.messageId === 'poison-1'));
    expect(seen.poison).toEqual([1, 2, 3]);
    const failure = seen.failures.find((f) => f.messageId === 'poison-1')!;
    expect(failure.reason).toBe(MAX_DELIVERY_COUNT_EXCEEDED);
    // The broker's text only; the handler's error is the timeline's to keep (docs/bus.md, "The dead-letter path").
    expect(failure.description).toBe('Message could not be consumed after 3 delivery attempts.');
  });

  it('an explicit dead-letter from the handler reaches the dead-letter consumer with reason and description', async () => {
    await bus.send(queues.reject, { ticket: {} }, { messageId: 'reject-1' });
    await eventually(() => seen.failures.some((f) => f.messageId === 'reject-1'));
    expect(seen.failures.find((f) => f.messageId === 'reject-1')).toEqual({
      messageId: 'reject-1',
      reason: 'validation_failed',
      description: 'payload.ticketId is required',
      deliveryCount: 1,
    });
    await eventually(async () => (await bus.peek(queues.reject)).length === 0);
  });

  it('a plain function that returns nothing completes the message', async () => {
    await bus.send(queues.plain, { hello: 'world' }, { messageId: 'plain-1' });
    await eventually(async () => seen.plain.length === 1 && (await depth(queues.plain)) === 0);
    expect(seen.plain).toEqual([{ hello: 'world' }]);
    expect(logs).toContainEqual({ level: 'info', message: 'plain handler ran' });
  });

  it('stop() waits for in-flight handlers and stops consuming', async () => {
    const started = slowStarted.next();
    await bus.send(queues.slow, { slow: true }, { messageId: 'slow-1' });
    expect(await started).toBe('slow-1');
    // The handler is now in flight, blocked on the gate.
    const stopping = runner.stop().then(() => seen.finished.push('stop'));
    // Give a stop that did not wait every chance to resolve first: a few storage round trips.
    for (let i = 0; i < 3; i++) await bus.peek(queues.ok);
    openGate();
    await stopping;
    expect(seen.finished).toEqual(['handler', 'stop']);
    // The in-flight message was settled before stop() returned.
    expect(await depth(queues.slow)).toBe(0);

    // Every consumer loop has ended, so a message sent now stays where it is.
    await bus.send(queues.ok, { after: 'stop' }, { messageId: 'after-stop' });
    expect(seen.ok.map((m) => m.messageId)).not.toContain('after-stop');
    expect((await bus.peek(queues.ok)).map((m) => m.messageId)).toEqual(['after-stop']);
  });
});
