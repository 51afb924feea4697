import { nowMs } from '../clock';
import { TooManyRequestsError } from '../errors/domain-error';
import { RateLimitExceededError, RateLimiter } from '../http/rate-limit';
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

/** Whole seconds from `atMs` to the next midnight UTC (at least 1). */
export function secondsToMidnightUtc(atMs: number): number {
  const next = (Math.floor(atMs / DAY_MS) + 1) * DAY_MS;
  return Math.max(1, Math.ceil((next - atMs) / 1000));
}

export class TenantInboundLimits implements InboundLimits {
  private readonly rate: RateLimiter;
  /** One limiter per quota value in use; they share the tenant's count row (`inbound-day|tenant`). */
  private readonly quotas = new Map<number, RateLimiter>();

  constructor(
    private readonly account: StorageAccount,
    private readonly ratePerMinute: number,
    private readonly defaultDailyQuota: number | undefined,
    /** The tenant's own quota, if the operator set one (cached by the tenant directory). */
    private readonly tenantQuota: (tenantId: string) => Promise<number | undefined> = async () => undefined,
  ) {
    this.rate = new RateLimiter(account, ratePerMinute, 60_000);
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
    try {
      await this.rate.take(`inbound-rate|${tenantId}`);
    } catch (error) {
      if (!(error instanceof RateLimitExceededError)) throw error;
      throw new TooManyRequestsError(
        'tenant_rate_exceeded',
        `This tenant sent more than ${this.ratePerMinute} webhook deliveries this minute; retry after Retry-After.`,
        error.retryAfterSeconds ?? 60,
        { limit: this.ratePerMinute, catalogCode: '882' },
      );
    }
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
}
