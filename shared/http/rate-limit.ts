import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { nowMs } from '../clock';
import { TooManyRequestsError } from '../errors/domain-error';
import { errorFields, logger } from '../observability/logger';
import type { StorageAccount } from '../storage/connection';
import { ConflictError } from '../storage/errors';
import { TableRepository } from '../storage/table-repository';

/**
 * Per-key fixed-window rate limit shared by every instance. One key's count is spread over a few
 * shard rows (PartitionKey = key, RowKey = shard), each holding its window start and count and
 * advanced with ETag-conditional writes: concurrent requests of one key mostly hit different
 * rows instead of queueing on one, and a lost race is retried, never overwritten. The window's
 * count is the sum of the shards (one partition read). Two requests racing at the boundary can
 * both pass, so the limit may be exceeded by the concurrency of one key — fine for a rate limit.
 *
 * If counting fails (storage contention or an outage), the request is let through and logged:
 * the limiter protects the hub; it must not become the reason requests fail.
 */
const shardSchema = z.object({ windowStart: z.number().int(), count: z.number().int() });
type ShardRow = z.infer<typeof shardSchema>;

/** The per-key limit was hit; carries the window state so the response still has X-RateLimit-*. */
export class RateLimitExceededError extends TooManyRequestsError {
  constructor(
    detail: string,
    retryAfterSeconds: number,
    readonly state: RateLimitState,
  ) {
    super('rate_limited', detail, retryAfterSeconds);
  }
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Epoch seconds when the window resets. */
  resetEpochSeconds: number;
}

export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(state.resetEpochSeconds),
  };
}

export class RateLimiter {
  private readonly rows: TableRepository<ShardRow>;
  constructor(
    account: StorageAccount,
    private readonly limitPerWindow: number,
    private readonly windowMs = 60_000,
    private readonly shards = 8,
  ) {
    this.rows = new TableRepository(account, 'ratelimits', shardSchema);
  }

  private async increment(subject: string, windowStart: number, by = 1): Promise<boolean> {
    const first = randomInt(this.shards);
    for (let i = 0; i < this.shards; i++) {
      const shard = `shard-${(first + i) % this.shards}`;
      try {
        await this.rows.update(
          subject,
          shard,
          (current) =>
            current && current.windowStart === windowStart
              ? { windowStart, count: current.count + by }
              : { windowStart, count: by },
          { maxAttempts: 3 },
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    return false;
  }

  private async count(subject: string, windowStart: number): Promise<number> {
    const page = await this.rows.list(subject, { limit: this.shards });
    return page.items.reduce((sum, row) => sum + (row.value.windowStart === windowStart ? row.value.count : 0), 0);
  }

  /**
   * Add `by` requests (0: only read) to `subject`'s window starting at `windowStart` and return
   * the window's total over every instance; no limit check. For callers that admit locally and
   * reconcile in batches (shared/inbound/tenant-limits.ts). Throws when storage does.
   */
  async add(subject: string, windowStart: number, by: number): Promise<number> {
    if (by > 0 && !(await this.increment(subject, windowStart, by))) {
      throw new ConflictError(`rate limit ${subject}: every shard stayed contended`);
    }
    return this.count(subject, windowStart);
  }

  /** Count one request for `subject`; throws TooManyRequestsError (with headers) once over the limit. */
  async take(subject: string): Promise<RateLimitState> {
    const at = nowMs();
    const windowStart = at - (at % this.windowMs);
    const resetMs = windowStart + this.windowMs;
    let count: number;
    try {
      count = (await this.increment(subject, windowStart)) ? await this.count(subject, windowStart) : 0;
    } catch (error) {
      logger.warn('rate limit not counted; request allowed', { subject, ...errorFields(error) });
      count = 0;
    }
    const state: RateLimitState = {
      limit: this.limitPerWindow,
      remaining: Math.max(0, this.limitPerWindow - count),
      resetEpochSeconds: Math.ceil(resetMs / 1000),
    };
    if (count > this.limitPerWindow) {
      throw new RateLimitExceededError(
        `This API key made more than ${this.limitPerWindow} requests in ${this.windowMs / 1000} s; retry after the window resets.`,
        (resetMs - at) / 1000,
        state,
      );
    }
    return state;
  }
}
