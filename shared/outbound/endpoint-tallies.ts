import type { CounterKey } from '../analytics/counters';
import { errorFields, logger } from '../observability/logger';
import type { OutboundDeps } from './deps';
import { applyEndpointOutcomes, type EndpointOutcome } from './endpoint-health';

/**
 * Attempt bookkeeping that need not be persisted before the attempt is acknowledged: the analytics
 * counter increment (`outbound_webhook`, one per attempt) and the endpoint-health streak. Instead
 * of three writes per attempt they are summed in memory and written in batches:
 *
 * - when the process has no attempt in progress any more (the invocation that ends the last one
 *   awaits the flush, so a quiet instance — about to be frozen or scaled in — holds nothing);
 * - every FLUSH_EVERY_ATTEMPTS attempts, or FLUSH_INTERVAL_MS after the first unwritten one, under
 *   load (not awaited by anyone's attempt).
 *
 * The first-attempt worker passes `idleFlush: 'timer'`: its idle instance writes within
 * FLUSH_INTERVAL_MS instead of at once (docs/decisions.md §83). A crash loses at most what had not been flushed: at most FLUSH_EVERY_ATTEMPTS attempts or
 * FLUSH_INTERVAL_MS of them in this process — counts missing from the dashboard and the success
 * rate, and a failure streak that starts later than it did (the delivery rows and the attempt log
 * are written before the attempt returns and are never part of it). docs/outbound.md, "Endpoint health".
 */
export const FLUSH_EVERY_ATTEMPTS = 100;
export const FLUSH_INTERVAL_MS = 1_000;

export interface AttemptTally {
  tenantId: string;
  subscriptionId: string;
  success: boolean;
  /** The counter code: the HTTP status, or `timeout`, `network`, `blocked`. */
  code: string;
  statusCode?: number | undefined;
  error?: string | undefined;
  at: number;
}

export class EndpointTallies {
  private pending: AttemptTally[] = [];
  private active = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly options: { everyAttempts?: number; intervalMs?: number } = {}) {}

  /** Unwritten attempts (tests and the bench read it). */
  get size(): number {
    return this.pending.length;
  }

  /**
   * Run one attempt's work. When it is the last one in progress the flush is part of it, so the
   * invocation that leaves the process idle returns only once everything is written.
   */
  async track<T>(deps: OutboundDeps, run: () => Promise<T>, options: { idleFlush?: 'now' | 'timer' } = {}): Promise<T> {
    this.active++;
    try {
      return await run();
    } finally {
      this.active--;
      // `timer`: the first-attempt worker's deliveries leave the write to the timer started by the
      // first unwritten tally (at most FLUSH_INTERVAL_MS later), so one delivery alone is not charged
      // the whole batch; the loss bound on a crash is the same as under load.
      if (this.active === 0 && this.pending.length > 0 && options.idleFlush !== 'timer') await this.flush(deps);
    }
  }

  add(deps: OutboundDeps, tally: AttemptTally): void {
    this.pending.push(tally);
    if (this.pending.length >= (this.options.everyAttempts ?? FLUSH_EVERY_ATTEMPTS)) {
      void this.flush(deps);
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(deps), this.options.intervalMs ?? FLUSH_INTERVAL_MS);
      this.timer.unref?.();
    }
  }

  /** Write everything unwritten; flushes run one after another, never twice over the same tallies. */
  flush(deps: OutboundDeps): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.inFlight;
    this.inFlight = this.inFlight.then(() => writeBatch(deps, batch));
    return this.inFlight;
  }
}

/** One counter increment per key and one health write per subscription for the whole batch. */
async function writeBatch(deps: OutboundDeps, batch: readonly AttemptTally[]): Promise<void> {
  const counts = new Map<string, { key: CounterKey; n: number }>();
  const bySubscription = new Map<string, { tenantId: string; subscriptionId: string; outcomes: EndpointOutcome[] }>();
  for (const t of batch) {
    const key: CounterKey = {
      tenantId: t.tenantId,
      integrationType: 'outbound_webhook',
      integrationId: t.subscriptionId,
      outcome: t.success ? 'succeeded' : 'failed',
      code: t.code,
    };
    const id = JSON.stringify([key.tenantId, key.integrationId, key.outcome, key.code]);
    const entry = counts.get(id);
    if (entry) entry.n++;
    else counts.set(id, { key, n: 1 });
    const subId = JSON.stringify([t.tenantId, t.subscriptionId]);
    let sub = bySubscription.get(subId);
    if (!sub) {
      sub = { tenantId: t.tenantId, subscriptionId: t.subscriptionId, outcomes: [] };
      bySubscription.set(subId, sub);
    }
    sub.outcomes.push({ success: t.success, statusCode: t.statusCode, error: t.error, at: t.at });
  }
  await Promise.all([
    ...[...counts.values()].map(({ key, n }) =>
      deps.counters
        .increment(key, n)
        .catch((error: unknown) => logger.warn('outbound counters not written', { n, ...errorFields(error) })),
    ),
    ...[...bySubscription.values()].map((s) =>
      applyEndpointOutcomes(deps, s.tenantId, s.subscriptionId, s.outcomes).catch((error: unknown) =>
        logger.warn('subscription health not updated', errorFields(error)),
      ),
    ),
  ]);
}
