/**
 * The automatic retry schedule (docs/design.md §3.1, §8.2, §8.3): after a failed attempt wait 1 minute, then 5,
 * then 30, then 2 hours, each measured from the end of the failed attempt; five automatic attempts
 * in all. A receiver's Retry-After longer than the next step postpones it, up to 2 hours.
 */
export const RETRY_WAITS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000] as const;
export const MAX_AUTOMATIC_ATTEMPTS = RETRY_WAITS_MS.length + 1;
export const MAX_RETRY_WAIT_MS = 2 * 3_600_000;

/** How long to wait after failed automatic attempt `k` (1-based) before attempt k + 1. */
export function waitAfterAttempt(k: number, retryAfterMs?: number): number {
  const step = RETRY_WAITS_MS[k - 1];
  if (step === undefined) throw new RangeError(`no automatic attempt follows attempt ${k}`);
  if (retryAfterMs !== undefined && retryAfterMs > step) return Math.min(retryAfterMs, MAX_RETRY_WAIT_MS);
  return step;
}

/**
 * A Retry-After header in milliseconds from `nowMs`: delta-seconds or an HTTP date. Undefined when
 * absent, unparseable, zero or in the past (the schedule then applies as is).
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return seconds > 0 ? seconds * 1000 : undefined;
  }
  const at = Date.parse(trimmed);
  if (Number.isNaN(at) || at <= nowMs) return undefined;
  return at - nowMs;
}
