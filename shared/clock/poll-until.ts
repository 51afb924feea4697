import { setTimeout as sleepFor } from 'node:timers/promises';

/**
 * A bounded wait for something another process finishes (a probe run, an event's pipeline): the
 * API's `?wait=` and `?waitFor=` parameters (docs/api.md, "Waiting for a result"). It reads storage
 * again after 100 ms, 200, 400, 800 and then every second, so a ten-second wait costs about a dozen
 * reads — no busy loop — and it never waits past its budget, which the route schemas cap at
 * MAX_WAIT_SECONDS, far below the Functions front end's 230 s response limit.
 *
 * The budget is measured on the monotonic timer, not on shared/clock: the process clock is the one
 * tests push forward to skip hours, and a wait must not end early (or never) because of it.
 */

export const MAX_WAIT_SECONDS = 20;

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 1_000;

export interface PollTiming {
  /** Waits this long (injected by tests to count and bound the waits without sleeping). */
  sleep(ms: number): Promise<void>;
  /** A monotonic reading in milliseconds. */
  elapsedMs(): number;
}

export const realTiming: PollTiming = {
  sleep: (ms) => sleepFor(ms).then(() => undefined),
  elapsedMs: () => performance.now(),
};

export interface PollResult<T> {
  value: T;
  /** Whether `done` held before the budget ran out. */
  done: boolean;
}

/**
 * Reads `read()` until `done(value)` or `timeoutMs` has passed, and returns the last value read.
 * A budget of 0 reads once.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  timing: PollTiming = realTiming,
): Promise<PollResult<T>> {
  const budget = Math.min(Math.max(0, timeoutMs), MAX_WAIT_SECONDS * 1_000);
  const started = timing.elapsedMs();
  let delay = FIRST_DELAY_MS;
  for (;;) {
    const value = await read();
    if (done(value)) return { value, done: true };
    const left = budget - (timing.elapsedMs() - started);
    if (left <= 0) return { value, done: false };
    await timing.sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}
