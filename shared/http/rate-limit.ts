import { z } from 'zod';
import { nowMs } from '../clock';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';
import { TooManyRequestsError } from './errors';

/**
 * Per-key fixed-window rate limit shared by every instance: one row per key holds the current
 * window and its count, advanced with ETag-conditional writes so concurrent requests on several
 * instances count exactly (a lost race is re-read and retried, never overwritten).
 */
const windowSchema = z.object({ windowStart: z.number().int(), count: z.number().int() });
type WindowRow = z.infer<typeof windowSchema>;

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
  private readonly rows: TableRepository<WindowRow>;
  constructor(
    account: StorageAccount,
    private readonly limitPerWindow: number,
    private readonly windowMs = 60_000,
  ) {
    this.rows = new TableRepository(account, 'ratelimits', windowSchema);
  }

  /** Count one request for `subject`; throws TooManyRequestsError (with headers) once over the limit. */
  async take(subject: string): Promise<RateLimitState> {
    const at = nowMs();
    const windowStart = at - (at % this.windowMs);
    const stored = await this.rows.update(
      subject,
      'window',
      (current) =>
        current && current.windowStart === windowStart
          ? { windowStart, count: current.count + 1 }
          : { windowStart, count: 1 },
      { maxAttempts: 20 },
    );
    const count = stored?.value.count ?? 1;
    const resetMs = windowStart + this.windowMs;
    const state: RateLimitState = {
      limit: this.limitPerWindow,
      remaining: Math.max(0, this.limitPerWindow - count),
      resetEpochSeconds: Math.ceil(resetMs / 1000),
    };
    if (count > this.limitPerWindow) {
      const error = new TooManyRequestsError(
        'rate_limited',
        `This API key made more than ${this.limitPerWindow} requests in ${this.windowMs / 1000} s; retry after the window resets.`,
        (resetMs - at) / 1000,
      );
      Object.assign(error.headers, rateLimitHeaders(state));
      throw error;
    }
    return state;
  }
}
