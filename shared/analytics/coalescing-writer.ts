import { setTimeout as sleep } from 'node:timers/promises';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../storage/errors';
import type { Stored, TableRepository } from '../storage/table-repository';

/** Conflict rounds per coalesced write (each loser re-reads; N instances on one row need N). */
const WRITE_ATTEMPTS = 20;
/** Rows whose last known value and ETag a process keeps (most recently written). */
const KNOWN_ROWS = 5_000;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Pending<D> {
  delta: D;
  waiters: Waiter[];
}

/** How a row absorbs increments: two pending deltas combine, and a delta applies to a stored row. */
export interface Increments<R, D> {
  combine(a: D, b: D): D;
  apply(current: R | undefined, delta: D): R;
}

/**
 * Adds increments to rows of one table with as few round trips as the guarantees allow
 * (docs/decisions.md §36):
 *  - increments of a row that arrive while its write is in flight are combined into the next write,
 *    and each caller's promise settles only when the write carrying its increment is stored;
 *  - the row as last written (value and ETag) is remembered, so a write is one conditional
 *    replace (or one insert for a new row) without reading first. Another writer in between makes
 *    it lose the ETag race (412) and only then is the row read again: increments are never
 *    overwritten or lost, and a crash loses only increments whose callers had not been answered.
 */
export class CoalescingWriter<R extends Record<string, unknown>, D> {
  private readonly pending = new Map<string, Pending<D>>();
  private readonly writing = new Set<string>();
  private readonly known = new Map<string, Stored<R>>();

  constructor(
    private readonly table: TableRepository<R>,
    private readonly increments: Increments<R, D>,
  ) {}

  add(pk: string, rk: string, delta: D): Promise<void> {
    const id = `${pk}\u0000${rk}`;
    return new Promise<void>((resolve, reject) => {
      const row = this.pending.get(id);
      if (row) {
        row.delta = this.increments.combine(row.delta, delta);
        row.waiters.push({ resolve, reject });
      } else {
        this.pending.set(id, { delta, waiters: [{ resolve, reject }] });
      }
      if (!this.writing.has(id)) void this.drain(id, pk, rk);
    });
  }

  /** Writes the row's pending delta, then whatever arrived meanwhile, until nothing is pending. */
  private async drain(id: string, pk: string, rk: string): Promise<void> {
    this.writing.add(id);
    try {
      for (let batch = this.pending.get(id); batch; batch = this.pending.get(id)) {
        this.pending.delete(id);
        try {
          await this.write(id, pk, rk, batch.delta);
          for (const w of batch.waiters) w.resolve();
        } catch (error) {
          for (const w of batch.waiters) w.reject(error);
        }
      }
    } finally {
      this.writing.delete(id);
    }
  }

  private async write(id: string, pk: string, rk: string, delta: D): Promise<void> {
    let current = this.known.get(id);
    // Unknown row: assume it is new (every hour starts new rows); a taken key is read below.
    let absent = current === undefined;
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      try {
        const stored = current
          ? await this.table.replace(pk, rk, this.increments.apply(current.value, delta), current.etag)
          : absent
            ? await this.table.insert(pk, rk, this.increments.apply(undefined, delta))
            : undefined;
        if (stored) {
          this.remember(id, stored);
          return;
        }
      } catch (error) {
        const lostRace =
          error instanceof ConflictError || error instanceof AlreadyExistsError || error instanceof NotFoundError;
        this.known.delete(id);
        if (!lostRace) throw error;
        if (attempt > 1) await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
      }
      current = await this.table.get(pk, rk);
      absent = current === undefined;
    }
    throw new ConflictError(`${this.table.tableName}: ${pk}/${rk} kept changing; gave up after ${WRITE_ATTEMPTS}`);
  }

  private remember(id: string, stored: Stored<R>): void {
    this.known.delete(id);
    this.known.set(id, stored);
    if (this.known.size > KNOWN_ROWS) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
  }
}
