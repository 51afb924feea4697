import type { QueueClient } from '@azure/storage-queue';
import { nowMs } from '../clock';
import { crashPoint } from '../faults/crash-points';
import type { StorageAccount } from '../storage/connection';
import { type ConsumerOptions, type QueueConsumer, runConsumer } from './consumer';
import { DedupLedger, type Reservation } from './dedup';
import {
  assertQueueName,
  deadLetterEnvelope,
  type Envelope,
  envelopeOf,
  hideSeconds,
  MAX_SEND_BYTES,
  MAX_VISIBILITY_SECONDS,
  newEnvelope,
  parseEnvelope,
  scheduledDelayMs,
  serializeEnvelope,
  toDeadLetteredMessage,
  toReceivedMessage,
} from './envelope';
import {
  type BacklogReader,
  type BusLog,
  type BusSender,
  type DeadLetteredMessage,
  type DeadLetterForwarder,
  deadLetterQueueName,
  MAX_DELIVERY_COUNT_EXCEEDED,
  type MessageHandler,
  type QueueBacklog,
  type ReceivedMessage,
  type SendOptions,
} from './port';
import {
  CRASH_AFTER_DEAD_LETTER_COPY,
  type LockedMessage,
  lockClockMs,
  maxDeliveryDescription,
  StorageQueueLock,
} from './storage-queue-lock';
import { sendTraced } from './trace-context';

/**
 * Service Bus queue semantics on Azurite Storage queues (BUS_MODE=storage-queues; the local host
 * and tests). What maps to what:
 * - peek-lock = receive with visibilityTimeout = lock duration; complete = delete; abandon = make
 *   visible now; lock expiry = the visibility running out.
 * - deliveryCount = the storage queue's dequeueCount (rises on every receive).
 * - maxDeliveryCount exceeded / explicit dead-letter = a copy in `<queue>-deadletter` carrying the
 *   reason and description, then delete.
 * - scheduledEnqueueTimeUtc = invisibility until `dueAtMs` (injected clock, compressed by the time
 *   scale); a receive before it hides the message again in one atomic update.
 * - duplicate detection = DedupLedger (a conditional insert per queue + message id), for sends and
 *   for dead-letter copies; skipped for a send marked `duplicatesTolerated` (see SendOptions).
 * See docs/bus.md.
 */
export interface StorageQueueBusOptions {
  /** QUEUE_MAX_DELIVERY_COUNT. Default 5. */
  maxDeliveryCount?: number;
  /** QUEUE_LOCK_DURATION_SECONDS. Default 60. */
  lockDurationSeconds?: number;
  /** LOCAL_TIME_SCALE: scheduled delays are divided by it. Default 1. */
  timeScale?: number;
  /** duplicateDetectionHistoryTimeWindow. Default 10 minutes. */
  duplicateDetectionWindowMs?: number;
  /** A pending dedup row older than this (injected clock) is taken over at once. Default 30 s. */
  pendingSendStaleMs?: number;
  /** How long a duplicate send waits for a fresh pending row's sender. Default 5 s. */
  pendingSendWaitMs?: number;
  /**
   * Longest a scheduled message stays hidden before a receive re-checks it against the injected
   * clock. Default 7 days (the storage limit). Tests that move a ManualClock set it to 1 s, so a
   * message scheduled an hour ahead is delivered once the clock says so, not an hour later.
   */
  maxHideSeconds?: number;
  dedupTableName?: string;
  /**
   * Prepended to every queue name in storage (LOCAL_QUEUE_PREFIX): hosts that share one Azurite
   * (the test suite's parallel workers) each get their own queues, so one host never consumes
   * another's messages with its own clock and crash points. Handlers still see the logical names.
   */
  queuePrefix?: string;
  log?: BusLog;
}

/** Crash point between the dedup row and the queue send (see docs/bus.md, tests). */
export const CRASH_AFTER_DEDUP_RESERVE = 'bus.send.after-dedup-reserve';
/** Crash point between the queue send and marking the dedup row sent. */
export const CRASH_AFTER_QUEUE_SEND = 'bus.send.after-queue-send';
/** The log line of a receive that found a scheduled message not yet due (tests wait on it). */
export const NOT_DUE_HIDDEN_AGAIN = 'scheduled message not due yet; hidden again';

const noLog: BusLog = () => {};

export class StorageQueueBus implements BusSender, DeadLetterForwarder, BacklogReader {
  readonly maxDeliveryCount: number;
  readonly lockDurationSeconds: number;
  readonly timeScale: number;
  private readonly queuePrefix: string;
  readonly maxHideSeconds: number;
  private readonly dedup: DedupLedger;
  private readonly ready = new Map<string, Promise<QueueClient>>();
  /** This process's consumers per queue, woken by a send visible at once (MessageSource.onArrival). */
  private readonly arrivalListeners = new Map<string, Set<() => void>>();
  private readonly log: BusLog;

  constructor(
    private readonly account: StorageAccount,
    options: StorageQueueBusOptions = {},
  ) {
    this.maxDeliveryCount = options.maxDeliveryCount ?? 5;
    this.lockDurationSeconds = options.lockDurationSeconds ?? 60;
    this.timeScale = options.timeScale ?? 1;
    this.queuePrefix = options.queuePrefix ?? '';
    this.maxHideSeconds = options.maxHideSeconds ?? MAX_VISIBILITY_SECONDS;
    this.log = options.log ?? noLog;
    this.dedup = new DedupLedger(account.table(options.dedupTableName ?? 'busdedup'), {
      windowMs: options.duplicateDetectionWindowMs ?? 10 * 60_000,
      pendingStaleMs: options.pendingSendStaleMs ?? 30_000,
      pendingWaitMs: options.pendingSendWaitMs ?? 5_000,
      pendingPollMs: Math.min(250, Math.max(10, (options.pendingSendWaitMs ?? 5_000) / 10)),
    });
  }

  async send(queue: string, body: unknown, options: SendOptions): Promise<void> {
    assertQueueName(queue);
    await sendTraced(queue, options, (traced) => this.sendUntraced(queue, body, traced));
  }

  private async sendUntraced(queue: string, body: unknown, options: SendOptions): Promise<void> {
    const text = serializeEnvelope(newEnvelope(body, options, nowMs()), MAX_SEND_BYTES);
    const client = await this.queue(queue);
    if (options.duplicatesTolerated) {
      // No ledger row: the receiver absorbs a copy, and the sender guards its own re-sends.
      await this.sendText(client, queue, options.messageId, text, options.scheduledEnqueueTimeUtc?.getTime());
      return;
    }
    const reservation = await this.dedup.reserve(
      queue,
      options.messageId,
      text,
      options.scheduledEnqueueTimeUtc?.getTime(),
    );
    if (reservation.action === 'duplicate') {
      this.log('info', 'duplicate message id dropped', { queue, messageId: options.messageId });
      return;
    }
    await this.enqueueReserved(client, queue, options.messageId, reservation);
  }

  /**
   * Receive up to `maxMessages` under a peek-lock. Messages past maxDeliveryCount go to the
   * dead-letter queue here (the crash case: nobody was alive to abandon them), and scheduled
   * messages not yet due on the injected clock go back into hiding; neither is returned.
   */
  async receive(
    queue: string,
    options: { maxMessages?: number; lockDurationSeconds?: number } = {},
  ): Promise<LockedMessage[]> {
    const client = await this.queue(queue);
    const lockDurationSeconds = options.lockDurationSeconds ?? this.lockDurationSeconds;
    const lockedAtMs = lockClockMs();
    const res = await client.receiveMessages({
      numberOfMessages: Math.min(32, Math.max(1, options.maxMessages ?? 1)),
      visibilityTimeout: lockDurationSeconds,
    });
    const locks: LockedMessage[] = [];
    for (const item of res.receivedMessageItems) {
      const parsed = parseEnvelope(item.messageText);
      if (!parsed.ok) {
        await this.quarantine(queue, client, item, parsed.error);
        continue;
      }
      const envelope = parsed.envelope;
      if (await this.hideIfNotDue(queue, client, item, envelope)) continue;
      // Receives that only re-hid a scheduled message are not deliveries.
      const deliveryCount = item.dequeueCount - (envelope.hiddenReceives ?? 0);
      if (deliveryCount > this.maxDeliveryCount) {
        // This receive is not a delivery (no handler sees it): the count is the one before it.
        const delivered = deliveryCount - 1;
        await this.writeDeadLetter(
          queue,
          envelope,
          MAX_DELIVERY_COUNT_EXCEEDED,
          maxDeliveryDescription(delivered),
          delivered,
        );
        crashPoint(CRASH_AFTER_DEAD_LETTER_COPY);
        await client.deleteMessage(item.messageId, item.popReceipt);
        this.log('warn', 'message dead-lettered: max delivery count exceeded', {
          queue,
          messageId: envelope.messageId,
        });
        continue;
      }
      const lock = new StorageQueueLock(
        {
          queue,
          client,
          maxDeliveryCount: this.maxDeliveryCount,
          lockDurationSeconds,
          writeDeadLetter: (q, env, reason, description, count) =>
            this.writeDeadLetter(q, env, reason, description, count),
        },
        item.messageId,
        item.popReceipt,
        envelope,
        deliveryCount,
        lockedAtMs,
      );
      locks.push(lock);
    }
    return locks;
  }

  startConsumer(
    queue: string,
    handler: MessageHandler,
    options: ConsumerOptions & { lockDurationSeconds?: number } = {},
  ): QueueConsumer {
    assertQueueName(queue);
    const receiveOptions = options.lockDurationSeconds ? { lockDurationSeconds: options.lockDurationSeconds } : {};
    return runConsumer(
      queue,
      {
        receive: (maxMessages) => this.receive(queue, { ...receiveOptions, maxMessages }),
        onArrival: (listener) => {
          const listeners = this.arrivalListeners.get(queue) ?? new Set<() => void>();
          this.arrivalListeners.set(queue, listeners);
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      },
      handler,
      options,
      this.log,
    );
  }

  /** Active messages, without locking them (up to 32, the storage queue peek limit). */
  async peek(queue: string, max = 32): Promise<ReceivedMessage[]> {
    const client = await this.queue(queue);
    const res = await client.peekMessages({ numberOfMessages: Math.min(32, Math.max(1, max)) });
    return res.peekedMessageItems.flatMap((item) => {
      const parsed = parseEnvelope(item.messageText);
      return parsed.ok ? [toReceivedMessage(parsed.envelope, item.dequeueCount)] : [];
    });
  }

  /** Dead-lettered messages of `queue`, without locking them (up to 32). */
  async peekDeadLetters(queue: string, max = 32): Promise<DeadLetteredMessage[]> {
    const client = await this.queue(deadLetterQueueName(queue));
    const res = await client.peekMessages({ numberOfMessages: Math.min(32, Math.max(1, max)) });
    return res.peekedMessageItems.flatMap((item) => {
      const parsed = parseEnvelope(item.messageText);
      return parsed.ok ? [toDeadLetteredMessage(parsed.envelope, item.dequeueCount)] : [];
    });
  }

  /**
   * Lock dead-lettered messages for processing (Failure Analysis): each has the reason and
   * description as application properties, like a Service Bus DLQ receive.
   */
  receiveDeadLetters(queue: string, options: { maxMessages?: number; lockDurationSeconds?: number } = {}) {
    return this.receive(deadLetterQueueName(queue), options);
  }

  async purgeDeadLetters(queue: string): Promise<void> {
    await (await this.queue(deadLetterQueueName(queue))).clearMessages();
  }

  async purge(queue: string): Promise<void> {
    await (await this.queue(queue)).clearMessages();
  }

  /** Approximate depths of each queue and its dead-letter queue (one properties read each). */
  async backlog(queues: readonly string[]): Promise<QueueBacklog[]> {
    const depth = async (name: string) =>
      (await (await this.queue(name)).getProperties()).approximateMessagesCount ?? 0;
    return Promise.all(
      queues.map(async (queue) => {
        const [active, deadLettered] = await Promise.all([depth(queue), depth(deadLetterQueueName(queue))]);
        return { queue, active, deadLettered };
      }),
    );
  }

  /** Dead-letter a copy without a lock (the DeadLetterForwarder port; the trigger's fallback path). */
  async forwardToDeadLetter(
    queue: string,
    message: ReceivedMessage,
    reason: string,
    description: string,
  ): Promise<void> {
    await this.writeDeadLetter(queue, envelopeOf(message), reason, description, message.deliveryCount);
  }

  /**
   * Housekeeping the local host runs periodically: re-send accepted messages whose sender died
   * between the dedup row and the queue send, and drop dedup rows older than the window.
   */
  async sweepDedup(): Promise<{ resent: number; purged: number }> {
    let resent = 0;
    for (const pending of await this.dedup.claimStalePending()) {
      const client = await this.queue(pending.queue);
      await this.enqueueReserved(client, pending.queue, pending.messageId, pending.reservation);
      this.log('info', 'accepted message re-sent after an interrupted send', {
        queue: pending.queue,
        messageId: pending.messageId,
      });
      resent++;
    }
    return { resent, purged: await this.dedup.purgeExpired() };
  }

  private async enqueueReserved(
    client: QueueClient,
    queue: string,
    messageId: string,
    reservation: Extract<Reservation, { action: 'send' }>,
  ): Promise<void> {
    crashPoint(CRASH_AFTER_DEDUP_RESERVE);
    await this.sendText(client, queue, messageId, reservation.envelopeText, reservation.scheduledMs);
    crashPoint(CRASH_AFTER_QUEUE_SEND);
    await this.dedup.markSent(queue, messageId, reservation);
  }

  /** The queue write itself; a scheduled message is hidden until its due time. */
  private async sendText(
    client: QueueClient,
    queue: string,
    messageId: string,
    envelopeText: string,
    scheduledMs: number | undefined,
  ): Promise<void> {
    const delayMs = scheduledDelayMs(scheduledMs, nowMs(), this.timeScale);
    let text = envelopeText;
    if (delayMs > 0) {
      // The due time is fixed at the actual send (a takeover after a crash sends later).
      const parsed = parseEnvelope(text);
      if (!parsed.ok) throw new Error(`stored envelope for ${queue}/${messageId} is unreadable: ${parsed.error}`);
      text = serializeEnvelope({ ...parsed.envelope, dueAtMs: nowMs() + delayMs });
    }
    await client.sendMessage(text, {
      visibilityTimeout: hideSeconds(delayMs, this.maxHideSeconds),
      messageTimeToLive: -1,
    });
    if (delayMs <= 0) for (const listener of this.arrivalListeners.get(queue) ?? []) listener();
  }

  /**
   * A scheduled message received before its due time (a delay beyond one hide, or a clock that
   * moved slower than the wall clock) goes back into hiding. It is one `updateMessage` — content
   * and invisibility together — so a crash cannot leave a second copy behind, as a send-then-delete
   * could. The new content counts the hiding receive, so deliveryCount stays true.
   */
  private async hideIfNotDue(
    queue: string,
    client: QueueClient,
    item: { messageId: string; popReceipt: string },
    envelope: Envelope,
  ): Promise<boolean> {
    const now = nowMs();
    const { remainingDelayMs, ...rest } = envelope;
    const dueAtMs = rest.dueAtMs ?? (remainingDelayMs ? now + remainingDelayMs : undefined);
    if (dueAtMs === undefined || dueAtMs <= now) return false;
    const next: Envelope = { ...rest, dueAtMs, hiddenReceives: (rest.hiddenReceives ?? 0) + 1 };
    await client.updateMessage(
      item.messageId,
      item.popReceipt,
      serializeEnvelope(next),
      hideSeconds(dueAtMs - now, this.maxHideSeconds),
    );
    this.log('info', NOT_DUE_HIDDEN_AGAIN, {
      queue,
      messageId: envelope.messageId,
      dueAt: new Date(dueAtMs).toISOString(),
    });
    return true;
  }

  /**
   * The dead-letter copy goes through duplicate detection on the dead-letter queue, keyed by the
   * message id — as `<queue>-deadletter` has duplicate detection on Service Bus. A crash between
   * the copy and the delete of the original redelivers the original; dead-lettering it again is
   * then a duplicate, so one copy remains.
   */
  private async writeDeadLetter(
    queue: string,
    envelope: Envelope,
    reason: string,
    description: string,
    deliveryCount: number,
  ): Promise<void> {
    const dlq = deadLetterQueueName(queue);
    const client = await this.queue(dlq);
    const text = serializeEnvelope(
      deadLetterEnvelope(envelope, { reason, description, source: queue, deliveryCount }, nowMs()),
    );
    const reservation = await this.dedup.reserve(dlq, envelope.messageId, text, undefined);
    if (reservation.action === 'duplicate') {
      this.log('info', 'dead-letter copy already written; not copied again', { queue, messageId: envelope.messageId });
      return;
    }
    await this.enqueueReserved(client, dlq, envelope.messageId, reservation);
  }

  /** A message that is not our envelope cannot be handled; it goes to the DLQ with the raw text. */
  private async quarantine(
    queue: string,
    client: QueueClient,
    item: { messageId: string; popReceipt: string; messageText: string; insertedOn: Date; dequeueCount: number },
    error: string,
  ): Promise<void> {
    const envelope: Envelope = {
      v: 1,
      messageId: item.messageId,
      body: item.messageText,
      enqueuedTimeUtc: item.insertedOn.toISOString(),
      applicationProperties: {},
    };
    await this.writeDeadLetter(
      queue,
      envelope,
      'InvalidEnvelope',
      `Not a hub bus message: ${error}`,
      item.dequeueCount,
    );
    await client.deleteMessage(item.messageId, item.popReceipt);
    this.log('warn', 'unreadable message moved to the dead-letter queue', { queue, storageMessageId: item.messageId });
  }

  /** Queues are created on first use, once per process (the promise is shared, dropped on failure). */
  private queue(name: string): Promise<QueueClient> {
    let ready = this.ready.get(name);
    if (!ready) {
      const physical = `${this.queuePrefix}${name}`;
      assertQueueName(physical);
      const client = this.account.queueService().getQueueClient(physical);
      ready = client.createIfNotExists().then(
        () => client,
        (error: unknown) => {
          this.ready.delete(name);
          throw error;
        },
      );
      this.ready.set(name, ready);
    }
    return ready;
  }
}
