import { UnauthorizedError } from '../apikeys/errors';
import { nowMs } from '../clock';
import { TooManyRequestsError } from '../errors/domain-error';

/**
 * Throttles failed authentication (401s) per client address and per presented key id, in this
 * process only (docs/decisions.md §22, §42).
 *
 * - A client address that keeps failing is answered 429 `too_many_failed_auth` *before* any key
 *   is looked up, so a flood of wrong keys from one client costs no storage reads once it trips.
 * - A key id is never a reason to refuse its own key. Anyone can write `mhk_<id>_<garbage>`, so a
 *   pre-check by id would let a stranger lock a real key out. Instead the presented secret is
 *   checked first (in constant time, by authentication), a correct one always passes, and only
 *   wrong secrets count against the id; once an id has used up its failures, further wrong
 *   guesses at it are answered 429 instead of 401. Secrets have 256 bits, so this slows guessing
 *   that could never succeed anyway; what it must not do is hurt the key's owner.
 *
 * Fixed windows: the first failure of a subject opens a window; after `limit` failures inside it
 * the subject is refused until the window ends (that is the Retry-After). Successful requests do
 * not reset anything, so interleaving a valid key buys a guesser nothing.
 *
 * In-process by design: a shared storage counter would add a read per attempt, the cost this
 * exists to remove. With N instances a client gets at most N × limit tries per window. Memory is
 * bounded: past `maxSubjects` the oldest windows are dropped (a rotating client then only loses its
 * own history).
 */
export interface FailedAuthLimits {
  /** Failures allowed per client address per window. */
  perAddress: number;
  /** Wrong secrets allowed per presented key id per window (a targeted guess at one key). */
  perKeyId: number;
  windowMs: number;
  maxSubjects: number;
}

export const DEFAULT_FAILED_AUTH_LIMITS: FailedAuthLimits = {
  perAddress: 20,
  perKeyId: 10,
  windowMs: 60_000,
  maxSubjects: 50_000,
};

export interface FailedAuthSubjects {
  address: string;
  keyId?: string | undefined;
}

interface Window {
  start: number;
  failures: number;
}

/** Only a wrong secret (or an unknown id) is a guess; revoked, expired or disabled keys were presented whole. */
const GUESS_CODES = new Set(['api_key_invalid']);

export class FailedAuthThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly limits: FailedAuthLimits = DEFAULT_FAILED_AUTH_LIMITS) {}

  /**
   * Authenticate behind the throttle: the address is checked before `attempt` (no lookup for a
   * client that keeps failing); `attempt`'s success is returned whatever the key id's record; a
   * 401 is counted, and answered 429 instead once the address or the id has used up its failures.
   */
  async authenticate<T>(subjects: FailedAuthSubjects, attempt: () => Promise<T>): Promise<T> {
    this.checkAddress(subjects.address);
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      const guess = GUESS_CODES.has(error.code);
      // Judged before counting this one: the first `perKeyId` wrong guesses are plain 401s.
      const spent = guess && subjects.keyId !== undefined && this.keyIdSpent(subjects.keyId);
      this.recordFailure(guess ? subjects : { address: subjects.address });
      if (spent && subjects.keyId) this.refuseIfSpent(`key:${subjects.keyId}`, this.limits.perKeyId);
      throw error;
    }
  }

  /** Throws TooManyRequestsError when the client address has used up its failures in this window. */
  checkAddress(address: string): void {
    this.refuseIfSpent(`address:${address}`, this.limits.perAddress);
  }

  /** Whether wrong guesses at this key id are currently answered 429 (its own key still passes). */
  keyIdSpent(keyId: string): boolean {
    const window = this.current(`key:${keyId}`, nowMs());
    return window !== undefined && window.failures >= this.limits.perKeyId;
  }

  /** Counts one failed authentication against the address and, when given, the key id. */
  recordFailure(subjects: FailedAuthSubjects): void {
    const at = nowMs();
    const keys = [`address:${subjects.address}`, ...(subjects.keyId ? [`key:${subjects.keyId}`] : [])];
    for (const subject of keys) {
      const window = this.current(subject, at) ?? { start: at, failures: 0 };
      window.failures += 1;
      this.windows.delete(subject);
      if (this.windows.size >= this.limits.maxSubjects) {
        const oldest = this.windows.keys().next();
        if (!oldest.done) this.windows.delete(oldest.value);
      }
      this.windows.set(subject, window);
    }
  }

  private refuseIfSpent(subject: string, limit: number): void {
    const at = nowMs();
    const window = this.current(subject, at);
    if (window && window.failures >= limit) {
      const retryAfterSeconds = (window.start + this.limits.windowMs - at) / 1000;
      throw new TooManyRequestsError(
        'too_many_failed_auth',
        'Too many failed authentication attempts from this client or for this key; wait before trying again.',
        retryAfterSeconds,
      );
    }
  }

  private current(subject: string, at: number): Window | undefined {
    const window = this.windows.get(subject);
    if (!window) return undefined;
    if (at - window.start >= this.limits.windowMs || at < window.start) {
      this.windows.delete(subject);
      return undefined;
    }
    return window;
  }
}
