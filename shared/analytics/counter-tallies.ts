import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import { timeBucket } from '../storage/keys';
import type { CounterKey, Counters } from './counters';

/**
 * Counter increments that need not be stored before the work they count is acknowledged — the
 * pipeline's per-stage outcomes (`<stage>.<outcome>`) and tool calls (`tool_call.<outcome>`) —
 * summed in memory per key and hour and written in batches, instead of two writes per outcome
 * (docs/decisions.md §84):
 *
 * - when the process has no tracked work in progress any more: the invocation that ends the last
 *   one awaits the flush, so an idle instance (about to be frozen or scaled in) holds nothing;
 * - every FLUSH_EVERY_INCREMENTS increments, or FLUSH_INTERVAL_MS after the first unwritten one,
 *   under load (awaited by nobody's work).
 *
 * The same policy as the outbound attempt tallies (shared/outbound/endpoint-tallies.ts), for any
 * counter key, with a longer interval: an event makes about seven distinct stage keys, so at a few
 * events per second a one-second window still wrote most of them once per event. Crash-loss bound: a process that dies loses at most what it had not flushed — at
 * most FLUSH_EVERY_INCREMENTS increments or FLUSH_INTERVAL_MS of them. These counters are
 * diagnostics (which stage fails how often); the dashboard's transaction counts (`succeeded`,
 * `failed`, `filtered` and their summaries) are never deferred and stay exact.
 */
export const FLUSH_EVERY_INCREMENTS = 100;
export const FLUSH_INTERVAL_MS = 5_000;

interface Tally {
  key: CounterKey;
  /** A time inside the hour the increments belong to (the counters bucket by day and hour). */
  at: number;
  by: number;
}

export class CounterTallies {
  private pending = new Map<string, Tally>();
  private increments = 0;
  private active = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly counters: () => Counters,
    private readonly options: { everyIncrements?: number; intervalMs?: number } = {},
  ) {}

  /** Increments not written yet (tests read it). */
  get size(): number {
    return this.increments;
  }

  /**
   * Run one piece of counted work. When it is the last one in progress the flush is part of it, so
   * the invocation that leaves the process idle returns only once every increment is written.
   */
  async track<T>(run: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await run();
    } finally {
      this.active--;
      if (this.active === 0 && this.increments > 0) await this.flush();
    }
  }

  add(key: CounterKey, by = 1): void {
    const at = nowMs();
    const id = JSON.stringify([
      key.tenantId,
      key.integrationType,
      key.integrationId,
      key.outcome,
      key.code,
      timeBucket(at, 'hour'),
    ]);
    const tally = this.pending.get(id);
    if (tally) tally.by += by;
    else this.pending.set(id, { key, at, by });
    this.increments += by;
    if (this.increments >= (this.options.everyIncrements ?? FLUSH_EVERY_INCREMENTS)) {
      void this.flush();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.options.intervalMs ?? FLUSH_INTERVAL_MS);
      this.timer.unref?.();
    }
  }

  /** Write everything unwritten; flushes run one after another, never twice over the same tallies. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.increments = 0;
    if (batch.length === 0) return this.inFlight;
    const counters = this.counters();
    this.inFlight = this.inFlight.then(() =>
      Promise.all(
        batch.map(({ key, at, by }) =>
          // increment logs and swallows its own storage errors; nothing here may fail the work.
          counters.increment(key, by, at).catch((error: unknown) => {
            logger.warn('deferred counters not written', { ...key, by, ...errorFields(error) });
          }),
        ),
      ).then(() => undefined),
    );
    return this.inFlight;
  }
}
