import type { QueueClient } from '@azure/storage-queue';
import { systemClock } from '../clock';
import { crashPoint } from '../faults/crash-points';
import { restStatus } from '../storage/errors';
import { type Envelope, serializeEnvelope, toReceivedMessage } from './envelope';
import { MAX_DELIVERY_COUNT_EXCEEDED, type ReceivedMessage, type Settlement } from './port';

/**
 * One peek-locked delivery from a storage queue. The lock is the message's invisibility: it lasts
 * `lockDurationSeconds`, after which the message reappears with a higher dequeue count — exactly
 * Service Bus' lock expiry. Settling uses the latest pop receipt, so renewals and settlement are
 * serialized on one chain.
 *
 * A storage queue would still accept a delete with the old pop receipt after the invisibility ran
 * out, as long as nobody received the message again; Service Bus refuses any settlement once the
 * lock has expired. So the lock keeps its own deadline and refuses too (LockLostError), and the
 * message is delivered again — the emulation fails where Azure fails.
 */
export interface LockedMessage {
  readonly message: ReceivedMessage;
  /** When the lock runs out unless renewed (Service Bus' lockedUntilUtc). */
  readonly lockedUntilUtc: Date;
  complete(): Promise<void>;
  /** Release for redelivery; on the last allowed delivery this dead-letters (MaxDeliveryCountExceeded). */
  abandon(error?: unknown): Promise<void>;
  deadLetter(reason: string, description: string): Promise<void>;
  renewLock(): Promise<void>;
  settle(settlement: Settlement): Promise<void>;
  /** Renews every half lock while work runs (as the Functions host does), up to `maxMs`. */
  startAutoRenew(maxMs: number, onError: (error: unknown) => void): () => void;
}

/** The lock ran out (or the message was settled elsewhere) before this settlement reached it. */
export class LockLostError extends Error {
  readonly code = 'message_lock_lost';
  override readonly name = 'LockLostError';
}

export interface LockContext {
  queue: string;
  client: QueueClient;
  maxDeliveryCount: number;
  lockDurationSeconds: number;
  writeDeadLetter(
    queue: string,
    envelope: Envelope,
    reason: string,
    description: string,
    deliveryCount: number,
  ): Promise<void>;
}

/** Crash point between the dead-letter copy and the delete of the original (see docs/bus.md). */
export const CRASH_AFTER_DEAD_LETTER_COPY = 'bus.dead-letter.after-copy';

/**
 * The lock is Azurite's visibility timeout, which runs on the machine's wall clock; the injected
 * clock (a ManualClock in tests) cannot move it. So lock deadlines are measured on the system
 * clock, taken *before* the request that set the invisibility: the deadline can only be a little
 * earlier than the real one, never later, so a late settlement is always refused.
 */
export const lockClockMs = (): number => systemClock.now();

/**
 * What the broker writes as DeadLetterErrorDescription for MaxDeliveryCountExceeded: the count and
 * nothing about the application's error, which Service Bus never sees. The emulator writes exactly
 * this, so nothing local can come to rely on an error text Azure does not give; the stage runner
 * puts the last error on the event's timeline instead (docs/bus.md, "The dead-letter path").
 */
export function maxDeliveryDescription(deliveries: number): string {
  return `Message could not be consumed after ${deliveries} delivery attempts.`;
}

export class StorageQueueLock implements LockedMessage {
  readonly message: ReceivedMessage;
  private chain: Promise<unknown> = Promise.resolve();
  private settled = false;
  private lockedUntilMs: number;

  /**
   * `deliveryCount` is the storage dequeue count minus the receives that only re-hid a scheduled
   * message; `lockedAtMs` is lockClockMs() taken before the receive request.
   */
  constructor(
    private readonly ctx: LockContext,
    private readonly storageMessageId: string,
    private popReceipt: string,
    private readonly envelope: Envelope,
    private readonly deliveryCount: number,
    lockedAtMs: number,
  ) {
    this.message = toReceivedMessage(envelope, deliveryCount);
    this.lockedUntilMs = lockedAtMs + ctx.lockDurationSeconds * 1000;
  }

  get lockedUntilUtc(): Date {
    return new Date(this.lockedUntilMs);
  }

  complete(): Promise<void> {
    return this.final(() => this.delete());
  }

  abandon(_error?: unknown): Promise<void> {
    // The error is the caller's to log: the broker keeps none of it, and neither does the copy.
    if (this.deliveryCount >= this.ctx.maxDeliveryCount) {
      return this.deadLetter(MAX_DELIVERY_COUNT_EXCEEDED, maxDeliveryDescription(this.deliveryCount));
    }
    return this.final(async () => {
      const text = serializeEnvelope(this.envelope);
      await this.guard(() => this.ctx.client.updateMessage(this.storageMessageId, this.popReceipt, text, 0));
    });
  }

  deadLetter(reason: string, description: string): Promise<void> {
    return this.final(async () => {
      // Copy first, delete second: a crash in between redelivers the original, never loses it; the
      // copy is written through duplicate detection on its message id, so dead-lettering the
      // redelivered original again leaves one copy, not two.
      await this.ctx.writeDeadLetter(this.ctx.queue, this.envelope, reason, description, this.deliveryCount);
      crashPoint(CRASH_AFTER_DEAD_LETTER_COPY);
      await this.delete();
    });
  }

  renewLock(): Promise<void> {
    return this.serial(async () => {
      if (this.settled) return;
      this.assertLockHeld();
      const renewedAt = lockClockMs();
      const res = await this.guard(() =>
        this.ctx.client.updateMessage(this.storageMessageId, this.popReceipt, undefined, this.ctx.lockDurationSeconds),
      );
      if (res.popReceipt) this.popReceipt = res.popReceipt;
      this.lockedUntilMs = renewedAt + this.ctx.lockDurationSeconds * 1000;
    });
  }

  settle(settlement: Settlement): Promise<void> {
    return settlement.kind === 'deadLetter'
      ? this.deadLetter(settlement.reason, settlement.description)
      : this.complete();
  }

  /**
   * Renews every third of the lock, so one failed renewal (a storage hiccup) still leaves time for
   * the next before the lock runs out. Only a lost lock ends the renewals; other errors are
   * reported and the next renewal tries again.
   */
  startAutoRenew(maxMs: number, onError: (error: unknown) => void): () => void {
    const every = Math.max(250, (this.ctx.lockDurationSeconds * 1000) / 3);
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
    timer.unref();
    return () => clearInterval(timer);
  }

  private delete(): Promise<unknown> {
    return this.guard(() => this.ctx.client.deleteMessage(this.storageMessageId, this.popReceipt));
  }

  private final(op: () => Promise<unknown>): Promise<void> {
    return this.serial(async () => {
      if (this.settled) throw new Error(`Message ${this.message.messageId} is already settled.`);
      this.assertLockHeld();
      this.settled = true;
      await op();
    });
  }

  /** Service Bus refuses to settle or renew once the lock expired, re-received or not. */
  private assertLockHeld(): void {
    if (lockClockMs() < this.lockedUntilMs) return;
    throw new LockLostError(
      `The lock on message ${this.message.messageId} in ${this.ctx.queue} expired at ${this.lockedUntilUtc.toISOString()}; it will be delivered again.`,
    );
  }

  private serial(op: () => Promise<void>): Promise<void> {
    const next = this.chain.then(op, op);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** A 404 or pop-receipt mismatch means the lock is gone: say so in Service Bus' terms. */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const { status, code } = restStatus(error);
      if (status === 404 || code === 'PopReceiptMismatch' || code === 'MessageNotFound') {
        throw new LockLostError(
          `The lock on message ${this.message.messageId} in ${this.ctx.queue} was lost (expired or settled elsewhere); it will be delivered again.`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}
