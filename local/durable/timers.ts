import { nowMs } from '../../shared/clock';

/**
 * In-memory wake-ups at clock times: durable timers, lease re-checks, retries after storage errors.
 * Due times are compared with the injected clock (shared/clock) on a short real-time tick rather than
 * handed to setTimeout, so a test that moves the clock forward fires what became due at once. The
 * schedule itself is not durable — the work rows are; after a restart reconciliation re-adds them.
 */
export class WakeScheduler {
  private readonly entries = new Map<string, { dueAtMs: number; fire: () => void }>();
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly tickMs: number) {}

  start(): void {
    this.ticker ??= setInterval(() => this.tick(), this.tickMs);
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.entries.clear();
  }

  /** Adds or moves a wake-up; the earlier of two due times for one key wins. */
  add(key: string, dueAtMs: number, fire: () => void): void {
    const existing = this.entries.get(key);
    if (existing && existing.dueAtMs <= dueAtMs) return;
    this.entries.set(key, { dueAtMs, fire });
  }

  remove(key: string): void {
    this.entries.delete(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Anything due now (used by waitForIdle: due work is not idle). */
  hasDue(): boolean {
    const now = nowMs();
    for (const entry of this.entries.values()) if (entry.dueAtMs <= now) return true;
    return false;
  }

  tick(): void {
    const now = nowMs();
    for (const [key, entry] of this.entries) {
      if (entry.dueAtMs > now) continue;
      this.entries.delete(key);
      entry.fire();
    }
  }
}
