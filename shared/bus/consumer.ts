import { describeError } from './envelope';
import type { BusLog, MessageHandler, Settlement } from './port';
import type { LockedMessage } from './storage-queue-lock';

/**
 * The poll loop the local host runs per queue: receive up to the free concurrency, run the handler
 * per message, settle by its result (throwing = abandon), back off while the queue is idle, and on
 * stop finish what is in flight before returning — like the Functions host draining on shutdown.
 */
export interface ConsumerOptions {
  /** Messages handled at once (the host's maxConcurrentCalls). Default 4. */
  concurrency?: number;
  /** First wait after an empty receive; doubles while idle up to maxPollIntervalMs. Default 1000. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Renew locks while a handler runs, up to this long (host.json maxAutoLockRenewalDuration). Default 5 min. */
  maxAutoLockRenewalMs?: number;
  signal?: AbortSignal;
}

export interface QueueConsumer {
  readonly queue: string;
  /** Stops receiving and resolves once every in-flight handler has been settled. */
  stop(): Promise<void>;
}

export interface MessageSource {
  receive(maxMessages: number): Promise<LockedMessage[]>;
  /**
   * Calls `listener` when this process sends a message that is visible at once. Service Bus hands
   * a waiting receiver a new message straight away; without this, a chain of messages (one sync
   * page sends the next) would wait out the idle poll at every link. Returns the unsubscribe.
   */
  onArrival?(listener: () => void): () => void;
}

/** Storage queues return at most 32 messages per receive. */
const MAX_BATCH = 32;

export function runConsumer(
  queue: string,
  source: MessageSource,
  handler: MessageHandler,
  options: ConsumerOptions,
  log: BusLog,
): QueueConsumer {
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const basePoll = Math.max(1, options.pollIntervalMs ?? 1000);
  const maxPoll = Math.max(basePoll, options.maxPollIntervalMs ?? basePoll * 8);
  const maxRenewMs = options.maxAutoLockRenewalMs ?? 5 * 60_000;
  const inflight = new Set<Promise<void>>();
  let stopping = false;
  let wake: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => {
    wake = resolve;
  });

  let arrived = false;
  let arrival: () => void = () => {};
  const unsubscribe = source.onArrival?.(() => {
    arrived = true;
    arrival();
  });
  const pause = (ms: number) =>
    Promise.race([
      new Promise<void>((resolve) => {
        // A message sent meanwhile by this process ends the idle wait (see MessageSource.onArrival).
        if (arrived) return resolve();
        const timer = setTimeout(resolve, ms);
        arrival = () => {
          clearTimeout(timer);
          resolve();
        };
        stopRequested.then(() => clearTimeout(timer));
      }),
      stopRequested,
    ]);

  async function handle(lock: LockedMessage): Promise<void> {
    const fields = { queue, messageId: lock.message.messageId, deliveryCount: lock.message.deliveryCount };
    const stopRenew = lock.startAutoRenew(maxRenewMs, (error) =>
      log('warn', 'lock renewal failed; the message may be delivered again', {
        ...fields,
        error: describeError(error),
      }),
    );
    let outcome: { settlement: Settlement } | { error: unknown };
    try {
      outcome = { settlement: await handler(lock.message) };
    } catch (error) {
      outcome = { error };
    } finally {
      stopRenew();
    }
    try {
      if ('settlement' in outcome) {
        await lock.settle(outcome.settlement);
        if (outcome.settlement.kind === 'deadLetter') {
          log('warn', 'message dead-lettered', { ...fields, reason: outcome.settlement.reason });
        }
      } else {
        log('warn', 'handler failed; message abandoned', { ...fields, error: describeError(outcome.error) });
        await lock.abandon(outcome.error);
      }
    } catch (error) {
      // A lost lock is not fatal: the message comes back and is handled again (idempotently).
      log('warn', 'settlement failed', { ...fields, error: describeError(error) });
    }
  }

  async function loop(): Promise<void> {
    let idle = basePoll;
    while (!stopping) {
      if (inflight.size >= concurrency) {
        await Promise.race([...inflight, stopRequested]);
        continue;
      }
      let batch: LockedMessage[];
      try {
        arrived = false;
        batch = await source.receive(Math.min(MAX_BATCH, concurrency - inflight.size));
      } catch (error) {
        log('warn', 'receive failed; backing off', { queue, error: describeError(error) });
        await pause(idle);
        idle = Math.min(idle * 2, maxPoll);
        continue;
      }
      if (batch.length === 0) {
        const woken = arrived;
        await pause(idle);
        idle = woken || arrived ? basePoll : Math.min(idle * 2, maxPoll);
        continue;
      }
      idle = basePoll;
      // Messages already received are handled even if stop was asked meanwhile: they hold locks.
      for (const lock of batch) {
        const work = handle(lock).finally(() => inflight.delete(work));
        inflight.add(work);
      }
    }
  }

  const running = loop().catch((error: unknown) => {
    log('error', 'consumer loop crashed', { queue, error: describeError(error) });
  });

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      unsubscribe?.();
      wake();
      await running;
      await Promise.allSettled([...inflight]);
    })();
    return stopped;
  };
  options.signal?.addEventListener('abort', () => void stop(), { once: true });
  if (options.signal?.aborted) void stop();
  return { queue, stop };
}
