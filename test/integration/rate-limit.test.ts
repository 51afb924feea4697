import { afterEach, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { TooManyRequestsError } from '../../shared/errors/domain-error';
import { RateLimiter } from '../../shared/http/rate-limit';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { uniqueName } from '../support/host-process';

const account = () => storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
let restore: (() => void) | undefined;
afterEach(() => restore?.());

function freezeClock(): ManualClock {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 10));
  restore = installClock(clock);
  return clock;
}

describe('per-key rate limit', () => {
  it('allows exactly the limit in one window when requests come one by one, then resets', async () => {
    const clock = freezeClock();
    const limiter = new RateLimiter(account(), 5);
    const key = uniqueName('key');
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) remaining.push((await limiter.take(key)).remaining);
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const refused = await limiter.take(key).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBe(50);
    clock.advance(50_000);
    expect((await limiter.take(key)).remaining).toBe(4);
  });

  it('counts concurrent requests of one key without failing any of them', async () => {
    freezeClock();
    const limiter = new RateLimiter(account(), 1000);
    const key = uniqueName('key');
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => limiter.take(key)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect((await limiter.take(key)).remaining).toBe(1000 - 41);
  });

  it('never lets more than the limit through when one key bursts concurrently', async () => {
    freezeClock();
    const limiter = new RateLimiter(account(), 10);
    const key = uniqueName('key');
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => limiter.take(key)));
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected');
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(10);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(TooManyRequestsError);
  });

  it('keeps keys apart', async () => {
    freezeClock();
    const limiter = new RateLimiter(account(), 1);
    const a = uniqueName('key');
    const b = uniqueName('key');
    await limiter.take(a);
    await expect(limiter.take(a)).rejects.toBeInstanceOf(TooManyRequestsError);
    expect((await limiter.take(b)).remaining).toBe(0);
  });
});
