import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { type HostProcess, sharedAzuriteEnv, startHostProcess, uniqueName } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * The emulated Service Bus semantics, observed from outside: a host process running the fixture
 * app's queue triggers on Azurite, driven over HTTP.
 */
interface DeliveryRecord {
  kind: string;
  deliveryCount: number;
  messageId: string;
}
interface DeadLetter {
  messageId: string;
  deliveryCount: number;
  deadLetterReason: string;
  deadLetterErrorDescription: string;
}

let host: HostProcess;
const queueSuffix = uniqueName('q');
/** The host's own queue namespace in the shared Azurite (LOCAL_QUEUE_PREFIX). */
const queuePrefix = `${uniqueName('p')}-`;
/** The fixture's `once` queue in the shared Azurite, read directly (the host's bus is Azurite queues). */
const onceQueue = () =>
  storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!)
    .queueService()
    .getQueueClient(`${queuePrefix}fixture-once-${queueSuffix}`);
/** Messages in the queue, visible or not: 0 once every message sent was completed. */
const depth = async () => (await onceQueue().getProperties()).approximateMessagesCount ?? 0;

beforeAll(async () => {
  host = await startHostProcess(
    sharedAzuriteEnv({
      LOCAL_FUNCTIONS_GLOB: 'dist/test/fixtures/host-app/*.js',
      FIXTURE_QUEUE_SUFFIX: queueSuffix,
      LOCAL_QUEUE_PREFIX: queuePrefix,
      QUEUE_MAX_DELIVERY_COUNT: '3',
    }),
  );
});

afterAll(async () => {
  await host?.stop();
});

const records = async (runId: string) =>
  (await call(host.baseUrl, 'GET', `/api/fixture/records/${runId}`)).json as unknown as DeliveryRecord[];
const deadLetters = async (queue: string) =>
  (await call(host.baseUrl, 'GET', `/api/fixture/dead-letters/${queue}`)).json as unknown as DeadLetter[];
const send = (queue: string, messageId: string, body: unknown, delayMs?: number) =>
  call(host.baseUrl, 'POST', `/api/fixture/messages/${queue}`, {
    body: { messageId, body, ...(delayMs ? { delayMs } : {}) },
  });

describe('queue triggers on the local host', () => {
  it('redelivers a failing message with a rising delivery count until the handler succeeds', async () => {
    const runId = uniqueName('run');
    expect((await send('flaky', `${runId}:1`, { runId, failTimes: 2 })).status).toBe(202);
    const seen = await eventually(async () => {
      const r = await records(runId);
      return r.length >= 3 ? r : undefined;
    });
    expect(seen.map((r) => r.deliveryCount).sort()).toEqual([1, 2, 3]);
    expect((await deadLetters('flaky')).filter((d) => d.messageId === `${runId}:1`)).toEqual([]);
  });

  it('dead-letters a message that keeps failing after maxDeliveryCount, with its reason', async () => {
    const runId = uniqueName('run');
    await send('flaky', `${runId}:1`, { runId, failTimes: 99 });
    const letter = await eventually(async () => (await deadLetters('flaky')).find((d) => d.messageId === `${runId}:1`));
    expect(letter.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    // What the broker writes, nothing of the handler's error (docs/bus.md, "The dead-letter path").
    expect(letter.deadLetterErrorDescription).toBe('Message could not be consumed after 3 delivery attempts.');
    const deliveries = (await records(runId)).map((r) => r.deliveryCount).sort();
    expect(deliveries).toEqual([1, 2, 3]);
  });

  it('dead-letters explicitly with the handler’s reason and description', async () => {
    const runId = uniqueName('run');
    await send('flaky', `${runId}:1`, { runId, failTimes: 0, deadLetterAt: 1 });
    const letter = await eventually(async () => (await deadLetters('flaky')).find((d) => d.messageId === `${runId}:1`));
    expect(letter.deadLetterReason).toBe('planned_dead_letter');
    expect(letter.deadLetterErrorDescription).toBe('dead-lettered on delivery 1');
    expect((await records(runId)).length).toBe(1);
  });

  it('processes a message sent twice with one message id once', async () => {
    const runId = uniqueName('run');
    await send('once', `${runId}:same`, { runId });
    await send('once', `${runId}:same`, { runId });
    await send('once', `${runId}:sentinel`, { runId });
    // All three sends were acknowledged; once the queue is empty every message that got in was
    // handled (handlers record before completing), so the records are final.
    const final = await eventually(async () => {
      const r = await records(runId);
      return r.some((x) => x.messageId === `${runId}:sentinel`) && (await depth()) === 0 ? r : undefined;
    });
    expect(final.filter((x) => x.messageId === `${runId}:same`)).toHaveLength(1);
    expect(final.filter((x) => x.messageId === `${runId}:sentinel`)).toHaveLength(1);
  });

  it('does not deliver a scheduled message before its time', async () => {
    const runId = uniqueName('run');
    await send('once', `${runId}:later`, { runId }, 3000);
    // Accepted and in the queue, but hidden: nobody can receive it yet (a message sent without its
    // delay would be visible to this peek at once).
    expect(await depth()).toBe(1);
    expect((await onceQueue().peekMessages()).peekedMessageItems).toEqual([]);
    expect(await records(runId)).toEqual([]);
    await eventually(async () => ((await records(runId)).length === 1 ? true : undefined));
  });
});
