/** Waiting helpers: tests poll for outcomes with generous limits and never assert tight timings. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll until `check` yields a value (not undefined or false) or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}

/**
 * Values a component reports as they happen (log lines, handler calls), for tests that wait on the
 * event itself instead of sleeping through a window in which "nothing else should happen".
 * `next` resolves with the first value pushed *after* the call that satisfies `match`.
 */
export class Signals<T> {
  readonly seen: T[] = [];
  private waiters: { match: (value: T) => boolean; resolve: (value: T) => void }[] = [];

  push(value: T): void {
    this.seen.push(value);
    const ready = this.waiters.filter((w) => w.match(value));
    this.waiters = this.waiters.filter((w) => !w.match(value));
    for (const w of ready) w.resolve(value);
  }

  next(match: (value: T) => boolean = () => true, timeoutMs = 20_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching signal within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (value: T) => {
          clearTimeout(timer);
          resolve(value);
        },
      };
      this.waiters.push(waiter);
    });
  }
}
