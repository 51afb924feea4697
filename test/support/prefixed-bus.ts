import { randomBytes } from 'node:crypto';
import type { QueueBacklog, ReceivedMessage, SendOptions } from '../../shared/bus/port';
import type { Bus } from '../../shared/bus/process-bus';
import type { StorageQueueBus } from '../../shared/bus/storage-queue-bus';

/**
 * The emulated bus with every queue name prefixed for one test file. Stage queues have fixed names
 * (`sop-matching`, `tool-call` …) and every file and local host of a run shares one Azurite, so
 * without a prefix another worker's consumers (a host on its own clock, a file with its own crash
 * points) would take this file's messages. Senders go through the wrapper; consumers start on
 * `queue(name)`.
 */
export class PrefixedBus implements Bus {
  readonly prefix = `t${randomBytes(4).toString('hex')}-`;
  constructor(readonly inner: StorageQueueBus) {}

  queue(name: string): string {
    return `${this.prefix}${name}`;
  }

  send(queue: string, body: unknown, options: SendOptions): Promise<void> {
    return this.inner.send(this.queue(queue), body, options);
  }

  forwardToDeadLetter(queue: string, message: ReceivedMessage, reason: string, description: string): Promise<void> {
    return this.inner.forwardToDeadLetter(this.queue(queue), message, reason, description);
  }

  async backlog(queues: readonly string[]): Promise<QueueBacklog[]> {
    const depths = await this.inner.backlog(queues.map((q) => this.queue(q)));
    return depths.map((d, i) => ({ ...d, queue: queues[i] ?? d.queue }));
  }
}
