import { nowMs } from '../clock';
import { TooManyRequestsError } from '../errors/domain-error';

/**
 * Throttles failed authentication (401s) per client address and per presented key id, in this
 * process only. A blocked subject is answered 429 `too_many_failed_auth` *before* any key is looked
 * up, so a flood of wrong keys costs no storage reads once it trips — the point of the throttle.
 *
 * Fixed windows: the first failure of a subject opens a window; after `limit` failures inside it
 * every further attempt is refused until the window ends (that is the Retry-After). Successful requests do not
 * reset anything, so interleaving a valid key buys a guesser nothing.
 *
 * In-process by design (docs/decisions.md): a shared storage counter would add a read per attempt,
 * the cost this exists to remove. With N instances a client gets at most N × limit tries per
 * window, still a few dozen per minute against 256-bit secrets. Memory is bounded: past
 * `maxSubjects` the oldest windows are dropped (a rotating client then only loses its own history).
 */
export interface FailedAuthLimits {
  /** Failures allowed per client address per window. */
  perAddress: number;
  /** Failures allowed per presented key id per window (a targeted guess at one key). */
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

export class FailedAuthThrottle {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(private readonly limits: FailedAuthLimits = DEFAULT_FAILED_AUTH_LIMITS) {}

  /** Throws TooManyRequestsError when either subject has used up its failures in this window. */
  check(subjects: FailedAuthSubjects): void {
    const at = nowMs();
    for (const [subject, limit] of this.keys(subjects)) {
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
  }

  /** Counts one failed authentication against both subjects. */
  recordFailure(subjects: FailedAuthSubjects): void {
    const at = nowMs();
    for (const [subject] of this.keys(subjects)) {
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

  private keys(subjects: FailedAuthSubjects): [string, number][] {
    const out: [string, number][] = [[`address:${subjects.address}`, this.limits.perAddress]];
    if (subjects.keyId) out.push([`key:${subjects.keyId}`, this.limits.perKeyId]);
    return out;
  }

  private current(subject: string, at: number): { start: number; failures: number } | undefined {
    const window = this.windows.get(subject);
    if (!window) return undefined;
    if (at - window.start >= this.limits.windowMs || at < window.start) {
      this.windows.delete(subject);
      return undefined;
    }
    return window;
  }
}
