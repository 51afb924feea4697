// Probes run on the timer "0 */5 * * * *" (docs/design.md §7.2).
export const PROBE_SCHEDULE = '0 */5 * * * *';
export const PROBE_INTERVAL_MS = 5 * 60_000;
/** A probe `checking` for longer than this crashed or hung: it is reset and run again. */
export const STUCK_CHECKING_MS = 2 * 60_000;
/** Each vendor call of a probe gives up after this long (then counts as a timeout). */
export const PROBE_TIMEOUT_MS = 10_000;
/** Flapping: this many state changes within FLAP_WINDOW_MS. */
export const FLAP_CHANGES = 3;
export const FLAP_WINDOW_MS = 60 * 60_000;
/** Probe history kept for the health view. */
export const HISTORY_MS = 24 * 60 * 60_000;

/** Planned retries inside one probe run: 2 s, 4 s, 8 s (jittered), or the vendor's Retry-After. */
export const PROBE_BACKOFF = { baseMs: 2_000, maxMs: 30_000, maxRetries: 3 } as const;

/** The tick a moment belongs to, e.g. `tick-29651234` (5-minute slots since the epoch). */
export function tickId(atMs: number): string {
  return `tick-${Math.floor(atMs / PROBE_INTERVAL_MS)}`;
}

export function nextTickAt(atMs: number): number {
  return (Math.floor(atMs / PROBE_INTERVAL_MS) + 1) * PROBE_INTERVAL_MS;
}

/** The state changes (ISO times, stored as a JSON array) still inside FLAP_WINDOW_MS; unreadable → none. */
export function recentTransitions(json: string | undefined, now: number): string[] {
  try {
    const parsed: unknown = JSON.parse(json ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((t): t is string => typeof t === 'string' && Date.parse(t) > now - FLAP_WINDOW_MS);
  } catch {
    return [];
  }
}
