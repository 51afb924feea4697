import { randomInt } from 'node:crypto';
import { nowMs } from '../clock';
import { type BusSender, complete, deadLetter, type Settlement } from './port';

/**
 * Planned retries, one layer per path (DESIGN §9.1–9.2). A stage that fails transiently does not
 * throw (that path is for crashes): it re-sends its message with `attempt + 1`, a new message id
 * `{eventId}:{stage}:{step}:{attempt}` and a scheduled enqueue time, and completes the original.
 * After the last retry it dead-letters explicitly with a reason and description. So a step that
 * always fails runs once plus `maxRetries` times — 4 calls with the default 3 — and then stops.
 */

export interface StepAddress {
  eventId: string;
  stage: string;
  step: string;
  /** 0 for the first run, 1..maxRetries for retries. */
  attempt: number;
}

/** Duplicate detection drops a re-sent copy of one attempt, never the next attempt or stage. */
export function stepMessageId(address: StepAddress): string {
  return `${address.eventId}:${address.stage}:${address.step}:${address.attempt}`;
}

export interface BackoffPolicy {
  /** Delay before the first retry. */
  baseMs: number;
  /** No delay exceeds this (also the clamp for a vendor's Retry-After). */
  maxMs: number;
  /** Retries after the first run. */
  maxRetries: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 5 * 60_000, maxRetries: 3 };

/**
 * Exponential backoff with "full jitter" on the upper half: attempt n waits a random time in
 * [d/2, d] with d = min(max, base·2^(n-1)), so retries of many failed messages spread out instead
 * of arriving together, yet never retry almost immediately.
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = randomInt): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  const floor = Math.floor(ceiling / 2);
  return floor + random(ceiling - floor + 1);
}

/**
 * A Retry-After header as milliseconds from now: delta-seconds or an HTTP date; undefined when
 * absent or unreadable; clamped to [0, maxMs] so a hostile or broken value cannot park work forever.
 */
export function parseRetryAfter(value: string | null | undefined, maxMs: number, at = nowMs()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    // An HTTP date always names its weekday or month; this also refuses "-5" and other numerals
    // that Date.parse would happily read as a year.
    if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    ms = date - at;
  }
  return Math.min(maxMs, Math.max(0, ms));
}

export interface RetryDecision {
  settlement: Settlement;
  /** Set when the step was scheduled again. */
  next?: { messageId: string; attempt: number; delayMs: number; at: Date };
}

/**
 * Schedule the next attempt of a failed step, or dead-letter it when retries are used up.
 * `body` is the message to re-send (the caller sets its attempt field from `next.attempt` — pass a
 * function to build it); `retryAfterMs` (a vendor's Retry-After) replaces the computed backoff.
 */
export async function retryOrDeadLetter(
  bus: BusSender,
  queue: string,
  address: StepAddress,
  nextBody: (attempt: number) => unknown,
  failure: { reason: string; description: string; retryAfterMs?: number | undefined },
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): Promise<RetryDecision> {
  if (address.attempt >= policy.maxRetries) {
    const runs = address.attempt + 1;
    return {
      settlement: deadLetter(
        failure.reason,
        `${failure.description} (gave up after ${runs} attempt${runs === 1 ? '' : 's'})`,
      ),
    };
  }
  const attempt = address.attempt + 1;
  const delayMs = Math.min(policy.maxMs, failure.retryAfterMs ?? backoffDelayMs(attempt, policy));
  const at = new Date(nowMs() + delayMs);
  const messageId = stepMessageId({ ...address, attempt });
  await bus.send(queue, nextBody(attempt), { messageId, scheduledEnqueueTimeUtc: at, correlationId: address.eventId });
  return { settlement: complete, next: { messageId, attempt, delayMs, at } };
}
