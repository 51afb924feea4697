import { createHash } from 'node:crypto';
import { RateLimitExceededError, RateLimiter } from '../../http/rate-limit';
import type { StorageAccount } from '../../storage/connection';
import { VendorError, type VendorId } from '../contract';

/** A vendor's documented request budget for one account. */
export interface VendorBudget {
  requests: number;
  windowSeconds: number;
}

/**
 * Spends one request of a vendor account's budget before a call goes out, or refuses the call with
 * a VendorError `rate_limited` (with retryAfterMs) when the budget is spent (docs/design.md §9.10).
 */
export interface RateGate {
  /** `budget`: this integration's own budget, when its config sets one; the vendor's otherwise. */
  acquire(vendor: VendorId, accountKey: string, operation: string, budget?: VendorBudget): Promise<void>;
}

/**
 * A RateGate shared by every instance: one storage-backed fixed window per vendor account, reusing
 * the hub's RateLimiter (sharded rows, ETag increments). Like the API limiter it fails open: when
 * storage is unreachable the request goes out and a warning is logged, because the vendor's own 429
 * still protects the account and the gate must not become the outage.
 *
 * It refuses rather than waits: a stage or probe that is refused re-queues itself with the
 * retry-after, which costs no compute while waiting (docs/design.md §9.1).
 */
export class StorageRateGate implements RateGate {
  private readonly limiters = new Map<string, RateLimiter>();

  constructor(
    private readonly account: StorageAccount,
    private readonly budgetOf: (vendor: VendorId) => VendorBudget,
    /** Whose budget this gate keeps, for the refusal message ("this datto-edr account's"). */
    private readonly whose: (vendor: VendorId) => string = (vendor) => `this ${vendor} account's`,
  ) {}

  async acquire(vendor: VendorId, accountKey: string, operation: string, own?: VendorBudget): Promise<void> {
    const budget = own ?? this.budgetOf(vendor);
    try {
      await this.limiter(budget).take(rateSubject(vendor, accountKey));
    } catch (error) {
      if (!(error instanceof RateLimitExceededError)) throw error;
      throw new VendorError({
        vendor,
        operation,
        kind: 'rate_limited',
        vendorMessage: `The hub has spent ${this.whose(vendor)} budget of ${budget.requests} requests per ${budget.windowSeconds} s; the request was not sent.`,
        retryAfterMs: Math.max(1000, Math.ceil((error.retryAfterSeconds ?? 1) * 1000)),
      });
    }
  }

  /** One limiter per budget figure: the counts live in storage under the subject, not in it. */
  private limiter(budget: VendorBudget): RateLimiter {
    const key = `${budget.requests}/${budget.windowSeconds}`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiter(this.account, budget.requests, budget.windowSeconds * 1000);
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}

/**
 * The limiter's partition key: vendor plus a digest of the account key, so user names and API key
 * ids never land in storage and any characters Table keys forbid cannot appear.
 */
export function rateSubject(vendor: VendorId, accountKey: string): string {
  return `vendor-${vendor}-${createHash('sha256').update(accountKey).digest('hex').slice(0, 32)}`;
}
