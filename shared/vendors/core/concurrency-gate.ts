/**
 * A vendor's limit on requests in flight at once (Autotask: three threads per API tracking
 * identifier and endpoint, docs/integrations.md "Rate limits"). A request waits for a free slot
 * instead of being refused: the slot frees when a request in flight answers, and every request is
 * bounded by the vendor port's timeout, so a wait is bounded too.
 *
 * What it does not cover: it is **in-process**. Each Functions instance keeps its own slots, so N
 * instances may together have 3·N requests in flight for one identifier; the vendor's own refusal
 * (Autotask answers 429) is then a retryable rate_limited error like any 429. One instance is the
 * common case for one tenant's traffic, so the gate removes almost all of those refusals without a
 * storage round-trip per request.
 */
export interface ConcurrencyRule {
  /** Requests in flight at once per account and endpoint. */
  perEndpoint: number;
  /** The endpoint a request URL counts against (Autotask: its entity); undefined = not gated. */
  endpointOf(url: string): string | undefined;
}

interface Slot {
  active: number;
  waiting: Array<() => void>;
}

export class ConcurrencyGate {
  private readonly slots = new Map<string, Slot>();
  private waitWatchers: Array<{ count: number; resolve: () => void }> = [];

  /** Runs `call` once fewer than `limit` calls with the same key are in flight (FIFO). */
  async run<T>(key: string, limit: number, call: () => Promise<T>): Promise<T> {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { active: 0, waiting: [] };
      this.slots.set(key, slot);
    }
    if (slot.active >= limit) {
      const held = slot;
      const waited = new Promise<void>((resolve) => held.waiting.push(resolve));
      this.notifyWaiting();
      await waited;
    } else {
      slot.active += 1;
    }
    try {
      return await call();
    } finally {
      this.leave(key, slot);
    }
  }

  /** Requests waiting for a slot, over all keys. */
  waiting(): number {
    let total = 0;
    for (const slot of this.slots.values()) total += slot.waiting.length;
    return total;
  }

  /** Resolves once at least `count` requests wait for a slot (a signal for tests, no polling). */
  whenWaiting(count: number): Promise<void> {
    if (this.waiting() >= count) return Promise.resolve();
    return new Promise((resolve) => this.waitWatchers.push({ count, resolve }));
  }

  private notifyWaiting(): void {
    const now = this.waiting();
    this.waitWatchers = this.waitWatchers.filter((w) => {
      if (w.count > now) return true;
      w.resolve();
      return false;
    });
  }

  private leave(key: string, slot: Slot): void {
    const next = slot.waiting.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) {
      next();
      return;
    }
    slot.active -= 1;
    if (slot.active === 0) this.slots.delete(key);
  }
}

/** One gate per process: every session of the instance shares its slots. */
export const processConcurrencyGate = new ConcurrencyGate();
