import { nowMs } from '../clock';
import type { Classification } from '../integrations/classify';

/**
 * Per-instance fail-fast for vendor endpoints that stop answering. A probe holds a handler slot
 * (host.json maxConcurrentCalls) for the whole probe timeout; when one vendor endpoint hangs, its
 * probes would soon hold every slot and delay the healthy vendors' probes by one timeout per
 * wave. After TRIP_TIMEOUTS timeouts on one endpoint within WINDOW_MS, with no answer since,
 * further probes of that endpoint are not sent for OPEN_MS: they end as `timeout` at once (and
 * follow the run's planned retries, which fail fast too while it stays open). Any answer closes it.
 *
 * The key is the vendor plus the integration's non-secret config (base URL, region, zone, tenant):
 * integrations on different hosts of one vendor (UniFi consoles, Autotask zones) trip separately.
 */
export const TRIP_TIMEOUTS = 3;
export const WINDOW_MS = 60_000;
export const OPEN_MS = 60_000;

interface EndpointState {
  timeouts: number[];
  openUntil: number;
}

const MAX_ENDPOINTS = 5_000;

export class TimeoutBreaker {
  private readonly endpoints = new Map<string, EndpointState>();

  /** Milliseconds the endpoint stays open (not probed), or 0 when probes may go out. */
  openFor(key: string): number {
    const state = this.endpoints.get(key);
    const now = nowMs();
    return state && state.openUntil > now ? state.openUntil - now : 0;
  }

  record(key: string, reason: Classification['reason']): void {
    if (reason !== 'timeout') {
      // Any answer (even an error status) shows the endpoint responds.
      if (reason !== 'rate_limited') this.endpoints.delete(key);
      return;
    }
    const now = nowMs();
    const state = this.endpoints.get(key) ?? { timeouts: [], openUntil: 0 };
    state.timeouts = [...state.timeouts.filter((t) => t > now - WINDOW_MS), now];
    if (state.timeouts.length >= TRIP_TIMEOUTS) state.openUntil = now + OPEN_MS;
    this.endpoints.delete(key);
    if (this.endpoints.size >= MAX_ENDPOINTS) {
      const oldest = this.endpoints.keys().next();
      if (!oldest.done) this.endpoints.delete(oldest.value);
    }
    this.endpoints.set(key, state);
  }
}

/** What a probe that was not sent because its endpoint is open reports. */
export function notSent(vendorName: string, openForMs: number): Classification {
  return {
    state: 'disconnected',
    vendorStatus: null,
    vendorMessage: null,
    hint: `${vendorName} did not answer ${TRIP_TIMEOUTS} recent checks in time, so this check was not sent; the hub tries again in ${Math.ceil(openForMs / 1000)} s. If this persists, check the vendor's status page and the base URL.`,
    retry: { kind: 'backoff' },
    reason: 'timeout',
  };
}

/** The endpoint an integration's probes go to, as far as its (non-secret) config tells. */
export function endpointKey(vendor: string, config: unknown): string {
  return `${vendor}|${JSON.stringify(config ?? {})}`;
}

export const processTimeoutBreaker = new TimeoutBreaker();
