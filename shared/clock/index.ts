/**
 * The one clock everything timed reads (docs/design.md §11). Production uses the system clock; tests and
 * the local host install a controllable one so cooldowns, windows and schedules are checked by
 * moving time instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

let current: Clock = systemClock;

export function clock(): Clock {
  return current;
}

export function now(): Date {
  return new Date(current.now());
}

export function nowMs(): number {
  return current.now();
}

/** Replace the process clock; returns a function that restores the previous one. */
export function installClock(next: Clock): () => void {
  const previous = current;
  current = next;
  return () => {
    current = previous;
  };
}

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.ms = typeof start === 'number' ? start : start.getTime();
  }
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not go backwards');
    this.ms += ms;
  }
  set(at: Date | number): void {
    this.ms = typeof at === 'number' ? at : at.getTime();
  }
}

/**
 * A clock offset from real time that tests can push forward (used by the local host when a test
 * asks it to skip ahead): real time keeps flowing, plus an accumulated skip.
 */
export class OffsetClock implements Clock {
  private offsetMs = 0;
  constructor(private readonly base: Clock = systemClock) {}
  now(): number {
    return this.base.now() + this.offsetMs;
  }
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not go backwards');
    this.offsetMs += ms;
  }
}
