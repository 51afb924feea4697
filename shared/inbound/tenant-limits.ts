import { TooManyRequestsError } from '../errors/domain-error';
import { RateLimitExceededError, RateLimiter } from '../http/rate-limit';
import type { StorageAccount } from '../storage/connection';

/**
 * Per-tenant limits on inbound webhook deliveries (docs/dashboard.md, codes 882 and 883): a rate
 * per minute, so one tenant's burst cannot take the receive path from the others, and an optional
 * daily quota the operator sets. Both count across instances in the shared rate-limit table and,
 * like the API rate limit, let deliveries through when the count itself fails.
 */
export interface InboundLimits {
  /** Counts one delivery of the tenant; throws TooManyRequestsError (429, Retry-After) over a limit. */
  take(tenantId: string): Promise<void>;
}

const DAY_MS = 86_400_000;

export class TenantInboundLimits implements InboundLimits {
  private readonly rate: RateLimiter;
  private readonly quota: RateLimiter | undefined;

  constructor(
    account: StorageAccount,
    private readonly ratePerMinute: number,
    private readonly dailyQuota: number | undefined,
  ) {
    this.rate = new RateLimiter(account, ratePerMinute, 60_000);
    // A day window starts at midnight UTC (windows are aligned to the epoch).
    this.quota = dailyQuota === undefined ? undefined : new RateLimiter(account, dailyQuota, DAY_MS);
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
    if (!this.quota) return;
    try {
      await this.quota.take(`inbound-day|${tenantId}`);
    } catch (error) {
      if (!(error instanceof RateLimitExceededError)) throw error;
      throw new TooManyRequestsError(
        'tenant_quota_exceeded',
        `This tenant used its daily quota of ${this.dailyQuota} webhook deliveries; deliveries resume at midnight UTC.`,
        error.retryAfterSeconds ?? DAY_MS / 1000,
        { limit: this.dailyQuota, catalogCode: '883' },
      );
    }
  }
}
