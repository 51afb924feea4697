import { nowMs } from '../clock';
import { type ConsumerOptions, type QueueConsumer, runConsumer } from './consumer';
import {
  assertQueueName,
  deadLetterEnvelope,
  type Envelope,
  envelopeOf,
  MAX_SEND_BYTES,
  newEnvelope,
  serializeEnvelope,
  toDeadLetteredMessage,
  toReceivedMessage,
} from './envelope';
import {
  type BacklogReader,
  type BusSender,
  type DeadLetteredMessage,
  type DeadLetterForwarder,
  deadLetterQueueName,
  MAX_DELIVERY_COUNT_EXCEEDED,
  type MessageHandler,
  type QueueBacklog,
  type ReceivedMessage,
  type SendOptions,
  type Settlement,
} from './port';
import { type LockedMessage, LockLostError, maxDeliveryDescription } from './storage-queue-lock';

/**
 * The bus in process memory, with the Service Bus semantics the code relies on — the same ones
 * StorageQueueBus emulates, held to them by one contract suite (test/support/contracts/
 * bus-contract.ts; docs/testing.md): peek-lock receive, complete / abandon / dead-letter,
 * deliveryCount rising per delivery, MaxDeliveryCountExceeded to `<queue>-deadletter`, scheduled
 * enqueue on the injected clock, and duplicate detection by message id within a window (the
 * dead-letter copy too). Unit tests install it as the process bus (`setProcessBus`) and drive
 * stage handlers without Azurite. Lock deadlines run on the injected clock, so a test moves a
 * ManualClock past a lock instead of waiting for it. Never used by the hub itself.
 */
export interface MemoryBusOptions {
  /** QUEUE_MAX_DELIVERY_COUNT. Default 5. */
  maxDeliveryCount?: number;
  /** QUEUE_LOCK_DURATION_SECONDS. Default 60. */
  lockDurationSeconds?: number;
  /** duplicateDetectionHistoryTimeWindow. Default 10 minutes. */
  duplicateDetectionWindowMs?: number;
}

interface Stored {
  envelope: Envelope;
  /** Deliveries so far (a receive that hands the message out adds one). */
  deliveries: number;
  /** Not receivable before this (injected clock): a schedule or a held lock. */
  visibleAtMs: number;
  /** Changes on every receive; a settlement with an older token has lost its lock. */
  lockToken: number;
}

interface Queue {
  messages: Stored[];
  /** message id → accepted at (injected clock), for duplicate detection. */
  seen: Map<string, number>;
}

class MemoryLock implements LockedMessage {
  readonly message: ReceivedMessage;
  private settled = false;

  constructor(
    private readonly bus: MemoryBus,
    private readonly queue: string,
    private readonly stored: Stored,
    private readonly token: number,
    private lockedUntilMs: number,
  ) {
    this.message = toReceivedMessage(stored.envelope, stored.deliveries);
  }

  get lockedUntilUtc(): Date {
    return new Date(this.lockedUntilMs);
  }

  async complete(): Promise<void> {
    this.take();
    this.bus.remove(this.queue, this.stored);
  }

  async abandon(_error?: unknown): Promise<void> {
    if (this.stored.deliveries >= this.bus.maxDeliveryCount) {
      return this.deadLetter(MAX_DELIVERY_COUNT_EXCEEDED, maxDeliveryDescription(this.stored.deliveries));
    }
    this.take();
    this.stored.visibleAtMs = nowMs();
    this.stored.lockToken += 1;
  }

  async deadLetter(reason: string, description: string): Promise<void> {
    this.take();
    this.bus.writeDeadLetter(this.queue, this.stored.envelope, reason, description, this.stored.deliveries);
    this.bus.remove(this.queue, this.stored);
  }

  async renewLock(): Promise<void> {
    if (this.settled) return;
    this.assertHeld();
    this.lockedUntilMs = nowMs() + this.bus.lockDurationSeconds * 1000;
    this.stored.visibleAtMs = this.lockedUntilMs;
  }

  settle(settlement: Settlement): Promise<void> {
    return settlement.kind === 'deadLetter'
      ? this.deadLetter(settlement.reason, settlement.description)
      : this.complete();
  }

  startAutoRenew(maxMs: number, onError: (error: unknown) => void): () => void {
    const every = Math.max(250, (this.bus.lockDurationSeconds * 1000) / 3);
    let renewedMs = 0;
    const timer = setInterval(() => {
      renewedMs += every;
      if (this.settled || renewedMs > maxMs) {
        clearInterval(timer);
        return;
      }
      this.renewLock().catch((error: unknown) => {
        if (error instanceof LockLostError) clearInterval(timer);
        onError(error);
      });
    }, every);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  /** One settlement per lock, and only while it is held (Service Bus refuses a late one). */
  private take(): void {
    if (this.settled) throw new Error(`Message ${this.message.messageId} is already settled.`);
    this.assertHeld();
    this.settled = true;
  }

  private assertHeld(): void {
    if (
      this.stored.lockToken !== this.token ||
      nowMs() >= this.lockedUntilMs ||
      !this.bus.holds(this.queue, this.stored)
    ) {
      throw new LockLostError(`the lock on message ${this.message.messageId} in ${this.queue} was lost`);
    }
  }
}

export class MemoryBus implements BusSender, DeadLetterForwarder, BacklogReader {
  readonly maxDeliveryCount: number;
  readonly lockDurationSeconds: number;
  private readonly windowMs: number;
  private readonly queues = new Map<string, Queue>();

  constructor(options: MemoryBusOptions = {}) {
    this.maxDeliveryCount = options.maxDeliveryCount ?? 5;
    this.lockDurationSeconds = options.lockDurationSeconds ?? 60;
    this.windowMs = options.duplicateDetectionWindowMs ?? 10 * 60_000;
  }

  async send(queue: string, body: unknown, options: SendOptions): Promise<void> {
    assertQueueName(queue);
    const now = nowMs();
    const envelope = newEnvelope(body, options, now);
    // The same size limit as the real queues, so a message too big for them fails here too.
    serializeEnvelope(envelope, MAX_SEND_BYTES);
    // `duplicatesTolerated` lets an emulation skip its bookkeeping; dropping the copy anyway is
    // what Service Bus does, so the memory bus always deduplicates.
    this.enqueue(queue, envelope, options.scheduledEnqueueTimeUtc?.getTime() ?? now);
  }

  /** Up to `maxMessages` visible messages under a peek-lock; past maxDeliveryCount they dead-letter instead. */
  async receive(
    queue: string,
    options: { maxMessages?: number; lockDurationSeconds?: number } = {},
  ): Promise<LockedMessage[]> {
    assertQueueName(queue);
    const lockSeconds = options.lockDurationSeconds ?? this.lockDurationSeconds;
    const max = Math.min(32, Math.max(1, options.maxMessages ?? 1));
    const now = nowMs();
    const locks: LockedMessage[] = [];
    for (const stored of [...this.state(queue).messages]) {
      if (locks.length >= max) break;
      if (stored.visibleAtMs > now) continue;
      if (stored.deliveries >= this.maxDeliveryCount) {
        // A lock ran out on the last allowed delivery (the handler's process died): the broker
        // dead-letters it rather than deliver it again.
        this.writeDeadLetter(
          queue,
          stored.envelope,
          MAX_DELIVERY_COUNT_EXCEEDED,
          maxDeliveryDescription(stored.deliveries),
          stored.deliveries,
        );
        this.remove(queue, stored);
        continue;
      }
      stored.deliveries += 1;
      stored.lockToken += 1;
      stored.visibleAtMs = now + lockSeconds * 1000;
      locks.push(new MemoryLock(this, queue, stored, stored.lockToken, stored.visibleAtMs));
    }
    return locks;
  }

  startConsumer(
    queue: string,
    handler: MessageHandler,
    options: ConsumerOptions & { lockDurationSeconds?: number } = {},
  ): QueueConsumer {
    assertQueueName(queue);
    const lock = options.lockDurationSeconds ? { lockDurationSeconds: options.lockDurationSeconds } : {};
    return runConsumer(
      queue,
      { receive: (maxMessages) => this.receive(queue, { ...lock, maxMessages }) },
      handler,
      options,
      () => {},
    );
  }

  /** Visible messages (not locked, not scheduled ahead), without locking them. */
  async peek(queue: string, max = 32): Promise<ReceivedMessage[]> {
    return this.visible(queue, max).map((s) => toReceivedMessage(s.envelope, s.deliveries));
  }

  async peekDeadLetters(queue: string, max = 32): Promise<DeadLetteredMessage[]> {
    return this.visible(deadLetterQueueName(queue), max).map((s) => toDeadLetteredMessage(s.envelope, s.deliveries));
  }

  receiveDeadLetters(
    queue: string,
    options: { maxMessages?: number; lockDurationSeconds?: number } = {},
  ): Promise<LockedMessage[]> {
    return this.receive(deadLetterQueueName(queue), options);
  }

  /** Every stored message counts, locked and scheduled ones too, as a storage queue counts them. */
  async backlog(queues: readonly string[]): Promise<QueueBacklog[]> {
    return queues.map((queue) => ({
      queue,
      active: this.state(queue).messages.length,
      deadLettered: this.state(deadLetterQueueName(queue)).messages.length,
    }));
  }

  async purge(queue: string): Promise<void> {
    this.state(queue).messages.length = 0;
  }

  async purgeDeadLetters(queue: string): Promise<void> {
    this.state(deadLetterQueueName(queue)).messages.length = 0;
  }

  async forwardToDeadLetter(
    queue: string,
    message: ReceivedMessage,
    reason: string,
    description: string,
  ): Promise<void> {
    this.writeDeadLetter(queue, envelopeOf(message), reason, description, message.deliveryCount);
  }

  // --- used by MemoryLock ----------------------------------------------------------------------

  /** The dead-letter copy is deduplicated on its message id, as `<queue>-deadletter` is on Service Bus. */
  writeDeadLetter(queue: string, envelope: Envelope, reason: string, description: string, deliveryCount: number): void {
    const copy = deadLetterEnvelope(envelope, { reason, description, source: queue, deliveryCount }, nowMs());
    this.enqueue(deadLetterQueueName(queue), copy, nowMs());
  }

  remove(queue: string, stored: Stored): void {
    const messages = this.state(queue).messages;
    const at = messages.indexOf(stored);
    if (at >= 0) messages.splice(at, 1);
  }

  holds(queue: string, stored: Stored): boolean {
    return this.state(queue).messages.includes(stored);
  }

  // --- internals -------------------------------------------------------------------------------

  private visible(queue: string, max: number): Stored[] {
    const now = nowMs();
    return this.state(queue)
      .messages.filter((s) => s.visibleAtMs <= now)
      .slice(0, Math.min(32, Math.max(1, max)));
  }

  private enqueue(queue: string, envelope: Envelope, visibleAtMs: number): void {
    const state = this.state(queue);
    const now = nowMs();
    const acceptedAt = state.seen.get(envelope.messageId);
    if (acceptedAt !== undefined && now - acceptedAt < this.windowMs) return;
    state.seen.set(envelope.messageId, now);
    state.messages.push({ envelope, deliveries: 0, visibleAtMs, lockToken: 0 });
  }

  private state(queue: string): Queue {
    let state = this.queues.get(queue);
    if (!state) {
      state = { messages: [], seen: new Map() };
      this.queues.set(queue, state);
    }
    return state;
  }
}
