import { nowMs } from '../clock';
import { type Stored, TableRepository } from '../storage/table-repository';

/**
 * A table whose partitions this instance keeps for a few seconds (docs/outbound.md, "Subscriptions
 * on the hot path"): the tenant's subscription list that every publish walks, and the rows the
 * first-attempt worker needs (a subscription, its health). Every write through this repository
 * drops the partition's cached rows before and after it, so on this instance a change is seen by
 * the next read; another instance sees it when its copy expires (CACHE_MS). A caller that knows
 * which version it needs passes the row's ETag, and a cached row of another version is read again.
 */
export const CACHE_MS = 5_000;
/** Partitions kept at most; the oldest goes first (a busy host, many tenants). */
const MAX_PARTITIONS = 2_000;

interface Entry<T extends Record<string, unknown>> {
  at: number;
  /** The whole partition, when it was listed. */
  all?: Stored<T>[];
  /** Rows read one by one (an absent row is `null`: a deleted subscription is not read again). */
  rows: Map<string, Stored<T> | null>;
}

export class CachedPartitions<T extends Record<string, unknown>> extends TableRepository<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /**
   * Reads under way, shared: callers that miss at once (a tenant's first events, or its copy
   * expiring under load) wait for one read instead of each sending its own.
   */
  private readonly reading = new Map<string, Promise<unknown>>();
  /** Bumped by every forget: a read that began before a write does not store what it found. */
  private readonly generations = new Map<string, number>();

  private fresh(pk: string): Entry<T> | undefined {
    const entry = this.entries.get(pk);
    if (!entry) return undefined;
    const age = nowMs() - entry.at;
    // A clock moved backwards (tests install virtual clocks) counts as expired, never as fresh forever.
    if (age < 0 || age >= CACHE_MS) {
      this.entries.delete(pk);
      return undefined;
    }
    return entry;
  }

  private entry(pk: string): Entry<T> {
    let entry = this.fresh(pk);
    if (!entry) {
      entry = { at: nowMs(), rows: new Map() };
      this.entries.set(pk, entry);
      if (this.entries.size > MAX_PARTITIONS) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    }
    return entry;
  }

  /** Drop what this instance holds of a partition (every write does). */
  forget(pk: string): void {
    this.entries.delete(pk);
    this.generations.set(pk, (this.generations.get(pk) ?? 0) + 1);
    for (const key of [`list\n${pk}`, ...[...this.reading.keys()].filter((k) => k.startsWith(`row\n${pk}\n`))])
      this.reading.delete(key);
  }

  /** `read` once for every caller asking for `key` while it is under way. */
  private shared<R>(key: string, read: () => Promise<R>): Promise<R> {
    const under = this.reading.get(key) as Promise<R> | undefined;
    if (under) return under;
    const started = read().finally(() => {
      if (this.reading.get(key) === started) this.reading.delete(key);
    });
    this.reading.set(key, started);
    return started;
  }

  /** Every row of the partition, from the cache when it was listed within CACHE_MS. */
  async listCached(pk: string): Promise<Stored<T>[]> {
    const hit = this.fresh(pk)?.all;
    if (hit) return hit;
    return this.shared(`list\n${pk}`, async () => {
      const generation = this.generations.get(pk) ?? 0;
      const all: Stored<T>[] = [];
      for await (const row of this.iterate(pk)) all.push(row);
      if ((this.generations.get(pk) ?? 0) === generation) {
        const entry = this.entry(pk);
        entry.all = all;
        for (const row of all) entry.rows.set(row.rowKey, row);
      }
      return all;
    });
  }

  /**
   * One row, from the cache when it is there and (given `etag`) of that version; otherwise read.
   * A row read because the cached one was of another version drops the partition's list too.
   */
  async getCached(pk: string, rk: string, etag?: string): Promise<Stored<T> | undefined> {
    const cached = this.fresh(pk)?.rows.get(rk);
    if (cached === null && etag === undefined) return undefined;
    if (cached && (etag === undefined || cached.etag === etag)) return cached;
    if (cached !== undefined) this.forget(pk);
    const read = async () => {
      const generation = this.generations.get(pk) ?? 0;
      const row = await this.get(pk, rk);
      if ((this.generations.get(pk) ?? 0) === generation) this.entry(pk).rows.set(rk, row ?? null);
      return row;
    };
    const row = await this.shared(`row\n${pk}\n${rk}`, read);
    // A shared read may have begun before the version the caller knows of was written: its own read.
    return etag !== undefined && row !== undefined && row.etag !== etag ? read() : row;
  }

  override async insert(pk: string, rk: string, value: T): Promise<Stored<T>> {
    return this.keep(await this.writing(pk, () => super.insert(pk, rk, value)));
  }

  override async replace(pk: string, rk: string, value: T, etag: string): Promise<Stored<T>> {
    return this.keep(await this.writing(pk, () => super.replace(pk, rk, value, etag)));
  }

  override async upsert(pk: string, rk: string, value: T): Promise<Stored<T>> {
    return this.keep(await this.writing(pk, () => super.upsert(pk, rk, value)));
  }

  override async delete(pk: string, rk: string, etag?: string): Promise<boolean> {
    return this.writing(pk, () => super.delete(pk, rk, etag));
  }

  override async transact(...args: Parameters<TableRepository<T>['transact']>): Promise<Stored<T>[]> {
    return this.writing(args[0], () => super.transact(...args));
  }

  /** A row this instance has just written is the newest it knows: kept, without the partition's list. */
  private keep(row: Stored<T>): Stored<T> {
    if (row.etag) this.entry(row.partitionKey).rows.set(row.rowKey, row);
    return row;
  }

  private async writing<R>(pk: string, write: () => Promise<R>): Promise<R> {
    this.forget(pk);
    try {
      return await write();
    } finally {
      this.forget(pk);
    }
  }
}
