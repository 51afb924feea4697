import { nowMs } from '../clock';
import { ConflictError } from '../storage/errors';
import { tenantPartition } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import type { OutboundDeps } from './deps';
import { MAX_RETRY_WAIT_MS } from './schedule';
import type { EndpointHealthRecord, SubscriptionRecord } from './tables';

/**
 * Throttled subscriptions (docs/outbound.md, "Throttling"). A subscription may carry
 * `rateLimitPerSecond`: each first attempt takes a place in the subscription's current one-second
 * window of a counter every instance shares (the rate-limit table, shared/http/rate-limit.ts), and
 * one whose place is beyond the limit is not sent but put back on the queue for the window its
 * place falls in — delayed, never failed or dropped. A receiver's 429 with Retry-After sets
 * `slowUntil` on the subscription's health row, and every instance's first attempts wait for it.
 */

/** The shared per-window counter: RateLimiter.add (shared/http/rate-limit.ts). */
export interface ThrottleCounter {
  add(subject: string, windowStart: number, by: number): Promise<number>;
}

export const THROTTLE_WINDOW_MS = 1_000;

function subject(tenantId: string, subscriptionId: string): string {
  return tenantPartition(tenantId, 'outbound', subscriptionId);
}

/**
 * How long the first attempt of a delivery of `sub` must wait, or 0 to send now. Takes a place in
 * the window when the subscription has a limit (a place taken by a delivery that then waits is
 * spent: it only makes later ones wait a little longer, never send more than the limit). Throws
 * when the counter cannot be reached, so the message comes back rather than exceeding the limit.
 */
export async function firstAttemptWait(
  deps: OutboundDeps,
  tenantId: string,
  sub: Stored<SubscriptionRecord>,
  health: EndpointHealthRecord | undefined,
): Promise<number> {
  const now = nowMs();
  const slowUntil = health?.slowUntil ? Date.parse(health.slowUntil) : Number.NaN;
  if (slowUntil > now) return slowUntil - now;
  const limit = sub.value.rateLimitPerSecond;
  if (!limit || !deps.throttle) return 0;
  const windowStart = now - (now % THROTTLE_WINDOW_MS);
  let place: number;
  try {
    // The window's total read after this increment: at least this taker's place, never less
    // (concurrent takers only make it larger), so no more than `limit` are ever let through.
    place = await deps.throttle.add(subject(tenantId, sub.rowKey), windowStart, 1);
  } catch (error) {
    // Every shard contended: the window is busy. Wait for the next one rather than risk the limit.
    if (!(error instanceof ConflictError)) throw error;
    return windowStart + THROTTLE_WINDOW_MS - now;
  }
  if (place <= limit) return 0;
  // The place-th taker of this window: its turn comes `floor((place - 1) / limit)` windows on.
  return windowStart + Math.floor((place - 1) / limit) * THROTTLE_WINDOW_MS - now;
}

/** A 429 with Retry-After slows the subscription for every instance (never shortens a longer wait). */
export async function noteSlowDown(
  deps: OutboundDeps,
  tenantId: string,
  subscriptionId: string,
  retryAfterMs: number,
): Promise<void> {
  const until = nowMs() + Math.min(retryAfterMs, MAX_RETRY_WAIT_MS);
  await deps.tables.health.update(tenantId, subscriptionId, (current) => {
    const row: EndpointHealthRecord = current ?? { consecutiveFailures: 0 };
    if (row.slowUntil && Date.parse(row.slowUntil) >= until) return undefined;
    return { ...row, slowUntil: new Date(until).toISOString() };
  });
}
