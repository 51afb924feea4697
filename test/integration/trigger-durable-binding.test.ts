import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientBindingData } from '../../local/durable/client-binding';
import { installFunctionsCore } from '../../local/functions-core-shim';
import { type QueueTriggerRunner, startQueueTriggers } from '../../local/queue-runner';
import { FunctionRegistry } from '../../local/registry';
import { startTimers } from '../../local/timers';
import { complete } from '../../shared/bus/port';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { eventually } from '../support/wait';

/**
 * Any trigger may declare the Durable client input binding in Azure; the local host fills it in
 * for queue triggers and timers too, and registerQueueHandler declares it on request and hands the
 * client to the handler (and to code it calls, through invocationDurableClient).
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const queue = `durable-binding-${randomUUID().slice(0, 8)}`;
const binding = clientBindingData('http://127.0.0.1:9/runtime/webhooks/durabletask/', 'bindinghub');
const extraInputValue = (type: string) => (type === 'durableClient' ? binding : undefined);

const seen: Array<{ hub: string | undefined; ambientHub: string | undefined; same: boolean }> = [];
const timerHubs: string[] = [];
const registry = new FunctionRegistry();
let runner: QueueTriggerRunner;
let uninstall: () => void;

beforeAll(async () => {
  uninstall = installFunctionsCore(registry, () => {});
  // Loaded after the shim, as the local host loads dist/functions/*.js.
  const { registerQueueHandler } = await import('../../shared/bus/trigger');
  const { invocationDurableClient } = await import('../../shared/bus/durable-binding');
  const { app } = await import('@azure/functions');
  const df = await import('../../shared/sdk/durable-functions');

  registerQueueHandler(
    'binding-consume',
    queue,
    async (_message, bindings) => {
      // Deeper code reaches the same client without being handed it.
      const ambient = await Promise.resolve().then(() => invocationDurableClient());
      seen.push({
        hub: bindings.durableClient?.taskHubName,
        ambientHub: ambient?.taskHubName,
        same: ambient === bindings.durableClient,
      });
      return complete;
    },
    { durableClient: true },
  );
  app.timer('binding-timer', {
    schedule: '0 0 0 1 1 *',
    extraInputs: [df.input.durableClient()],
    handler: async (_timer, context) => {
      timerHubs.push(df.getClient(context).taskHubName);
    },
  });

  const bus = new StorageQueueBus(account, {
    maxDeliveryCount: 3,
    lockDurationSeconds: 5,
    dedupTableName: `busdedupbinding${process.pid}`,
  });
  runner = await startQueueTriggers({
    registry,
    bus,
    log: () => {},
    pollIntervalMs: 20,
    maxPollIntervalMs: 100,
    extraInputValue,
  });
  await bus.send(queue, { hello: 'stage' }, { messageId: randomUUID() });
});

afterAll(async () => {
  await runner?.stop();
  uninstall?.();
});

describe('the durable client binding on queue triggers and timers', () => {
  it('registerQueueHandler({ durableClient: true }) declares the binding', () => {
    const fn = registry.functions.get('binding-consume');
    expect(fn?.extraInputs.map((b) => b.type)).toEqual(['durableClient']);
  });

  it('the queue handler gets the client as an argument and as the invocation client', async () => {
    const first = await eventually(async () => seen[0], 20_000);
    expect(first).toEqual({ hub: 'bindinghub', ambientHub: 'bindinghub', same: true });
  });

  it('a timer that declares the binding gets the client', async () => {
    const timers = startTimers(registry.byTrigger('timerTrigger'), {
      timeScale: 1,
      log: () => {},
      automatic: false,
      extraInputValue,
    });
    await timers.fire('binding-timer');
    timers.stop();
    expect(timerHubs).toEqual(['bindinghub']);
  });
});
