import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfter, retryDelayMs, stepMessageId } from '../../shared/bus/retry';

describe('planned retries: pure rules', () => {
  it('names each attempt of a step distinctly, so dedup drops copies but never the next attempt', () => {
    const address = { eventId: 'evt1', stage: 'tool-call', step: 'note', attempt: 0 };
    expect(stepMessageId(address)).toBe('evt1:tool-call:note:0');
    expect(stepMessageId({ ...address, attempt: 1 })).not.toBe(stepMessageId(address));
  });

  it('backs off exponentially within [d/2, d], capped at maxMs', () => {
    const policy = { baseMs: 1000, maxMs: 5000, maxRetries: 3 };
    const lowest = (n: number) => backoffDelayMs(n, policy, () => 0);
    const highest = (n: number) => backoffDelayMs(n, policy, (max) => max - 1);
    expect([lowest(1), highest(1)]).toEqual([500, 1000]);
    expect([lowest(2), highest(2)]).toEqual([1000, 2000]);
    expect([lowest(3), highest(3)]).toEqual([2000, 4000]);
    expect([lowest(4), highest(4)]).toEqual([2500, 5000]);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelayMs(2, policy);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });

  it('reads Retry-After as seconds or an HTTP date, clamps it and ignores garbage', () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0);
    expect(parseRetryAfter('30', 60_000, at)).toBe(30_000);
    expect(parseRetryAfter('3600', 60_000, at)).toBe(60_000);
    expect(parseRetryAfter('3600', {}, at)).toBe(3_600_000);
    expect(parseRetryAfter(new Date(at + 10_000).toUTCString(), 60_000, at)).toBe(10_000);
    expect(parseRetryAfter('1', { minMs: 5_000, maxMs: 60_000 }, at)).toBe(5_000);
    expect(parseRetryAfter('soon', 60_000, at)).toBeUndefined();
    expect(parseRetryAfter('-5', 60_000, at)).toBeUndefined();
    expect(parseRetryAfter(null, 60_000, at)).toBeUndefined();
  });

  it('reads Retry-After: 0 and a date in the past as "no hint", never as "retry now"', () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0);
    expect(parseRetryAfter('0', { minMs: 5_000 }, at)).toBeUndefined();
    expect(parseRetryAfter(new Date(at - 10_000).toUTCString(), { minMs: 5_000 }, at)).toBeUndefined();
    expect(parseRetryAfter(new Date(at).toUTCString(), { minMs: 5_000 }, at)).toBeUndefined();
  });

  it('honours a Retry-After up to its own ceiling, not the backoff maximum, and never below the base delay', () => {
    const policy = { baseMs: 1_000, maxMs: 5_000, maxRetries: 3, retryAfterMaxMs: 3_600_000 };
    expect(retryDelayMs(1, 3_600_000, policy)).toBe(3_600_000);
    expect(retryDelayMs(1, 7_200_000, policy)).toBe(3_600_000);
    expect(retryDelayMs(1, 200, policy)).toBe(1_000);
    for (const hint of [undefined, 0, -1]) {
      const d = retryDelayMs(2, hint, policy);
      expect(d).toBeGreaterThanOrEqual(1_000);
      expect(d).toBeLessThanOrEqual(2_000);
    }
  });
});
