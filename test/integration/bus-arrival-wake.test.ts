import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { complete } from '../../shared/bus/port';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { Signals } from '../support/wait';

/**
 * A chain of messages — each handler sends the next, as a sync run's pages do (docs/sync.md) — is
 * handed on as Service Bus hands a waiting receiver a new message: a send from this process ends
 * its queue consumer's idle wait (docs/bus.md). The poll interval here is ten minutes, so the chain
 * only finishes within the test's timeout if every link woke the idle consumer.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const dedupTable = `busdedup${process.pid}${Date.now().toString(36)}`;
const LINKS = 5;

describe('StorageQueueBus: a send wakes the idle consumer of its queue', () => {
  it('hands a chain of five messages on without waiting out a ten-minute idle poll', async () => {
    const bus = new StorageQueueBus(account, { dedupTableName: dedupTable, lockDurationSeconds: 30 });
    const queue = `t-wake-${randomUUID().slice(0, 8)}`;
    const handled = new Signals<number>();
    const consumer = bus.startConsumer(
      queue,
      async (message) => {
        const link = (message.body as { link: number }).link;
        handled.push(link);
        if (link < LINKS) await bus.send(queue, { link: link + 1 }, { messageId: `link-${link + 1}` });
        return complete;
      },
      // Several at once, as the host runs them: the loop receives again (empty) while a link runs and idles.
      { concurrency: 16, pollIntervalMs: 600_000, maxPollIntervalMs: 600_000 },
    );
    try {
      const last = handled.next((link) => link === LINKS);
      // Whether the consumer's first receive already came back empty or not, it is woken or finds it.
      await bus.send(queue, { link: 1 }, { messageId: 'link-1' });
      await last;
      expect(handled.seen).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await consumer.stop();
    }
  });
});
