import { randomInt } from 'node:crypto';
import { nowMs } from '../clock';
import { settings } from '../config/settings';
import { type BusSender, complete, deadLetter, type ReceivedMessage, type Settlement } from './port';

/**
 * Planned retries, one layer per path (docs/design.md §6.4, §6.5). A stage that fails transiently does not
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
  /** Delay before the first retry; also the shortest wait a vendor's Retry-After can ask for. */
  baseMs: number;
  /** No computed backoff exceeds this. A vendor's Retry-After has its own ceiling (retryAfterMaxMs). */
  maxMs: number;
  /** Retries after the first run. */
  maxRetries: number;
  /**
   * The longest vendor Retry-After honoured; longer ones are cut to it. Default: the setting
   * RETRY_AFTER_MAX_SECONDS (an hour unless configured).
   */
  retryAfterMaxMs?: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 5 * 60_000, maxRetries: 3 };

/** RETRY_AFTER_MAX_SECONDS' default: a vendor may park a step for up to an hour. */
export const DEFAULT_RETRY_AFTER_MAX_MS = 60 * 60_000;

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

export interface RetryAfterLimits {
  /** A positive hint shorter than this is raised to it (a vendor asking for 1 s gets the policy's minimum). */
  minMs?: number;
  /** A hint longer than this is cut to it, so a hostile or broken value cannot park work forever. */
  maxMs?: number;
}

/**
 * A Retry-After header as milliseconds from now: delta-seconds or an HTTP date. Undefined when
 * absent or unreadable, and also for `0` or a date in the past: those say "no wait needed", which
 * must not become an immediate retry storm — the caller falls back to its own backoff. A positive
 * value is clamped to [minMs, maxMs]. (A bare number is read as maxMs, the older signature.)
 */
export function parseRetryAfter(
  value: string | null | undefined,
  limits: RetryAfterLimits | number = {},
  at = nowMs(),
): number | undefined {
  if (!value) return undefined;
  const { minMs = 0, maxMs = Number.POSITIVE_INFINITY } = typeof limits === 'number' ? { maxMs: limits } : limits;
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
  if (!(ms > 0)) return undefined;
  return Math.min(maxMs, Math.max(minMs, ms));
}

/** The Retry-After ceiling in force: the policy's, else the RETRY_AFTER_MAX_SECONDS setting. */
export function retryAfterCeilingMs(policy: BackoffPolicy): number {
  return policy.retryAfterMaxMs ?? settings().RETRY_AFTER_MAX_SECONDS * 1000;
}

/**
 * How long retry `attempt` waits: the vendor's Retry-After when it gave a usable one — at least
 * the policy's base delay, at most the Retry-After ceiling — otherwise the computed backoff. A
 * hint of zero or less (a `0` header or a past date) is not usable.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, policy: BackoffPolicy): number {
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) return backoffDelayMs(attempt, policy);
  return Math.min(retryAfterCeilingMs(policy), Math.max(policy.baseMs, retryAfterMs));
}

export interface RetryDecision {
  settlement: Settlement;
  /** Set when the step was scheduled again. */
  next?: { messageId: string; attempt: number; delayMs: number; at: Date };
}

export interface RetryFailure {
  reason: string;
  description: string;
  /** A vendor's Retry-After in ms (from parseRetryAfter); replaces the computed backoff when usable. */
  retryAfterMs?: number | undefined;
  /**
   * The message being retried. Its application properties (tenant, correlation, anything a consumer
   * or the failure analysis reads) and correlation id travel on the re-send, as a redelivery would
   * keep them. Without it the re-send carries only the event id as correlation id.
   */
  message?: Pick<ReceivedMessage, 'applicationProperties' | 'correlationId'> | undefined;
}

/**
 * Schedule the next attempt of a failed step, or dead-letter it when retries are used up.
 * `body` is the message to re-send (the caller sets its attempt field from `next.attempt` — pass a
 * function to build it); `failure.retryAfterMs` (a vendor's Retry-After) replaces the computed
 * backoff within [policy.baseMs, Retry-After ceiling]; pass `failure.message` to keep its properties.
 */
export async function retryOrDeadLetter(
  bus: BusSender,
  queue: string,
  address: StepAddress,
  nextBody: (attempt: number) => unknown,
  failure: RetryFailure,
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
  const delayMs = retryDelayMs(attempt, failure.retryAfterMs, policy);
  const at = new Date(nowMs() + delayMs);
  const messageId = stepMessageId({ ...address, attempt });
  const properties = failure.message?.applicationProperties ?? {};
  await bus.send(queue, nextBody(attempt), {
    messageId,
    scheduledEnqueueTimeUtc: at,
    correlationId: failure.message?.correlationId ?? address.eventId,
    ...(Object.keys(properties).length > 0 ? { applicationProperties: { ...properties } } : {}),
  });
  return { settlement: complete, next: { messageId, attempt, delayMs, at } };
}
