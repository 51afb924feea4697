import { nowMs } from '../clock';
import { TooManyRequestsError } from '../errors/domain-error';
import { RateLimitExceededError, RateLimiter } from '../http/rate-limit';
import { errorFields, logger } from '../observability/logger';
import type { StorageAccount } from '../storage/connection';

/**
 * Per-tenant limits on inbound webhook deliveries (docs/dashboard.md, codes 882 and 883): a rate
 * per minute, so one tenant's burst cannot take the receive path from the others, and an optional
 * daily quota — the tenant's own, set by the operator (PUT /api/v1/tenants/{id}/limits), else the
 * deployment's INBOUND_TENANT_DAILY_QUOTA. Both count across instances in the shared rate-limit
 * table and, like the API rate limit, let deliveries through when the count itself fails.
 */
export interface InboundLimits {
  /** Counts one delivery of the tenant; throws TooManyRequestsError (429, Retry-After) over a limit. */
  take(tenantId: string): Promise<void>;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Whole seconds from `atMs` to the next midnight UTC (at least 1). */
export function secondsToMidnightUtc(atMs: number): number {
  const next = (Math.floor(atMs / DAY_MS) + 1) * DAY_MS;
  return Math.max(1, Math.ceil((next - atMs) / 1000));
}

/**
 * The rate per minute is admitted in memory and reconciled with the shared count in batches
 * (docs/pipeline.md, "Storage operations per event"): an instance adds what it admitted since its
 * last reconcile and reads the window's total over every instance once per RECONCILE_MS or once
 * it has admitted a slice (1/20 of the limit) unseen by the others, whichever comes first — not
 * on every delivery (two to three round trips each before). Over-admission bound: what the other
 * instances have admitted and not reconciled yet, at most (instances − 1) × slice per window, plus
 * deliveries in flight at a reconcile. An instance's own admissions are always exact, so one
 * instance never exceeds the limit. A reconcile that fails lets deliveries through on the
 * instance's own count and retries after RECONCILE_MS.
 */
const RECONCILE_MS = 1_000;
const SLICE_OF_LIMIT = 20;
const MAX_WINDOWS = 10_000;

interface RateWindow {
  windowStart: number;
  /** The window's total over every instance at the last reconcile (this instance's included). */
  shared: number;
  /** Admitted here since the last reconcile. */
  unreconciled: number;
  reconciledAt: number;
  /** The last reconcile failed: the next waits RECONCILE_MS, however many were admitted. */
  failed: boolean;
  reconciling?: Promise<void> | undefined;
}

export class TenantInboundLimits implements InboundLimits {
  private readonly rate: RateLimiter;
  /** One limiter per quota value in use; they share the tenant's count row (`inbound-day|tenant`). */
  private readonly quotas = new Map<number, RateLimiter>();
  private readonly windows = new Map<string, RateWindow>();
  private readonly slice: number;

  constructor(
    private readonly account: StorageAccount,
    private readonly ratePerMinute: number,
    private readonly defaultDailyQuota: number | undefined,
    /** The tenant's own quota, if the operator set one (cached by the tenant directory). */
    private readonly tenantQuota: (tenantId: string) => Promise<number | undefined> = async () => undefined,
  ) {
    this.rate = new RateLimiter(account, ratePerMinute, MINUTE_MS);
    this.slice = Math.max(1, Math.floor(ratePerMinute / SLICE_OF_LIMIT));
  }

  private quotaLimiter(quota: number): RateLimiter {
    let limiter = this.quotas.get(quota);
    if (!limiter) {
      // A day window starts at midnight UTC (windows are aligned to the epoch).
      limiter = new RateLimiter(this.account, quota, DAY_MS);
      this.quotas.set(quota, limiter);
    }
    return limiter;
  }

  async take(tenantId: string): Promise<void> {
    await this.takeRate(tenantId);
    const quota = (await this.tenantQuota(tenantId)) ?? this.defaultDailyQuota;
    if (quota === undefined) return;
    try {
      await this.quotaLimiter(quota).take(`inbound-day|${tenantId}`);
    } catch (error) {
      if (!(error instanceof RateLimitExceededError)) throw error;
      const retryAfter = secondsToMidnightUtc(nowMs());
      throw new TooManyRequestsError(
        'tenant_quota_exceeded',
        `This tenant used its daily quota of ${quota} webhook deliveries; deliveries resume at midnight UTC (in ${retryAfter} s).`,
        retryAfter,
        {
          limit: quota,
          catalogCode: '883',
          resetsAt: new Date((Math.floor(nowMs() / DAY_MS) + 1) * DAY_MS).toISOString(),
        },
      );
    }
  }

  private async takeRate(tenantId: string): Promise<void> {
    const at = nowMs();
    const windowStart = at - (at % MINUTE_MS);
    const window = this.windowOf(tenantId, windowStart);
    if ((window.unreconciled >= this.slice && !window.failed) || at - window.reconciledAt >= RECONCILE_MS) {
      window.reconciling ??= this.reconcile(tenantId, window).finally(() => {
        window.reconciling = undefined;
      });
      await window.reconciling;
    }
    if (window.shared + window.unreconciled >= this.ratePerMinute) {
      throw new TooManyRequestsError(
        'tenant_rate_exceeded',
        `This tenant sent more than ${this.ratePerMinute} webhook deliveries this minute; retry after Retry-After.`,
        (windowStart + MINUTE_MS - at) / 1000,
        { limit: this.ratePerMinute, catalogCode: '882' },
      );
    }
    window.unreconciled++;
  }

  private windowOf(tenantId: string, windowStart: number): RateWindow {
    const known = this.windows.get(tenantId);
    if (known?.windowStart === windowStart) return known;
    if (this.windows.size >= MAX_WINDOWS) {
      for (const [key, w] of this.windows) if (w.windowStart !== windowStart) this.windows.delete(key);
    }
    const fresh: RateWindow = {
      windowStart,
      shared: 0,
      unreconciled: 0,
      reconciledAt: Number.NEGATIVE_INFINITY,
      failed: false,
    };
    this.windows.set(tenantId, fresh);
    return fresh;
  }

  /** Add this instance's admissions to the shared count and learn the window's total. */
  private async reconcile(tenantId: string, window: RateWindow): Promise<void> {
    const adding = window.unreconciled;
    window.unreconciled -= adding;
    try {
      const total = await this.rate.add(`inbound-rate|${tenantId}`, window.windowStart, adding);
      // Admissions made while the add was in flight are still in `unreconciled`, not in `total`.
      window.shared = Math.max(window.shared + adding, total);
      window.failed = false;
    } catch (error) {
      window.unreconciled += adding;
      window.failed = true;
      logger.warn('inbound rate not reconciled; admitting on this instance count', { tenantId, ...errorFields(error) });
    } finally {
      window.reconciledAt = nowMs();
    }
  }
}
