import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../storage/errors';
import { escapeKey, tenantPartition, timeBucket, timeBucketsBetween, unescapeKey } from '../storage/keys';
import type { Stored, TableRepository } from '../storage/table-repository';
import type { IntegrationType } from './integration-types';
import { type DayTotals, dayTotals, sumDay } from './rollups';
import type { CounterRow, CounterTables } from './tables';

/**
 * Pre-aggregated outcome counters (docs/design.md §4): one increment per outcome — event received, stage
 * outcome, tool call, vendor call, probe, outbound attempt, replay guard hit — keyed by tenant ×
 * day (and hour) × integration type × integration × outcome × status code or error type.
 *
 * Increments are ETag-conditional writes, so concurrent instances never lose an increment; each
 * instance writes its own shard row of a key, and increments of a row that meet in one process are
 * summed into one write (CoalescingCounterWriter), so a hot counter costs far less than a round
 * trip per increment (docs/decisions.md §36).
 */

export { INTEGRATION_TYPES, type IntegrationType } from './integration-types';

export interface CounterKey {
  tenantId: string;
  integrationType: IntegrationType;
  /** Integration, subscription or webhook id; `-` when the outcome belongs to no single one. */
  integrationId: string;
  /** e.g. `connected`, `succeeded`, `failed`, `dead_lettered`, `received`. */
  outcome: string;
  /** HTTP status or error type; `-` when none. */
  code: string;
}

export interface CounterTotal extends CounterKey {
  bucket: string;
  count: number;
}

/**
 * Shards per counter row. A Counters instance (one per process) writes a key's increments to one
 * shard it picks at start, so two instances rarely contend for a row; readers sum every shard.
 */
export const SHARDS = 16;
/** Conflict rounds per coalesced write (each loser re-reads; N instances on one row need N). */
const WRITE_ATTEMPTS = 20;
/** Rows whose last known count and ETag a process keeps (most recently written). */
const KNOWN_ROWS = 5_000;

/** The RowKey of one shard of a counter (exported for the bench generator, which writes rows in bulk). */
export function counterRowKey(key: Omit<CounterKey, 'tenantId'>, shard: number): string {
  return [key.integrationType, key.integrationId, key.outcome, key.code, String(shard)].map(escapeKey).join('|');
}

function parseRowKey(rk: string): Omit<CounterKey, 'tenantId'> | undefined {
  const parts = rk.split('|').map(unescapeKey);
  if (parts.length !== 5) return undefined;
  const [integrationType, integrationId, outcome, code] = parts as [IntegrationType, string, string, string];
  return { integrationType, integrationId, outcome, code };
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface PendingRow {
  by: number;
  waiters: Waiter[];
}

/**
 * Adds to counter rows of one table with as few round trips as the guarantees allow:
 *  - increments of a row that arrive while its write is in flight are summed into the next write,
 *    and each caller's promise settles only when the write carrying its increment is stored;
 *  - the row's count and ETag as last written are remembered, so a write is one conditional
 *    replace (or one insert for a new row) without reading first. Another writer in between makes
 *    it lose the ETag race (412) and only then is the row read again: increments are never
 *    overwritten or lost, and a crash loses only increments whose callers had not been answered.
 */
class CoalescingCounterWriter {
  private readonly pending = new Map<string, PendingRow>();
  private readonly writing = new Set<string>();
  private readonly known = new Map<string, Stored<CounterRow>>();

  constructor(private readonly table: TableRepository<CounterRow>) {}

  add(pk: string, rk: string, by: number): Promise<void> {
    const id = `${pk}\u0000${rk}`;
    return new Promise<void>((resolve, reject) => {
      const row = this.pending.get(id) ?? { by: 0, waiters: [] };
      row.by += by;
      row.waiters.push({ resolve, reject });
      this.pending.set(id, row);
      if (!this.writing.has(id)) void this.drain(id, pk, rk);
    });
  }

  /** Writes the row's pending sum, then whatever arrived meanwhile, until nothing is pending. */
  private async drain(id: string, pk: string, rk: string): Promise<void> {
    this.writing.add(id);
    try {
      for (let batch = this.pending.get(id); batch; batch = this.pending.get(id)) {
        this.pending.delete(id);
        try {
          await this.write(id, pk, rk, batch.by);
          for (const w of batch.waiters) w.resolve();
        } catch (error) {
          for (const w of batch.waiters) w.reject(error);
        }
      }
    } finally {
      this.writing.delete(id);
    }
  }

  private async write(id: string, pk: string, rk: string, by: number): Promise<void> {
    let current = this.known.get(id);
    // Unknown row: assume it is new (every hour starts new rows); a taken key is read below.
    let absent = current === undefined;
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      try {
        const stored = current
          ? await this.table.replace(pk, rk, { count: current.value.count + by }, current.etag)
          : absent
            ? await this.table.insert(pk, rk, { count: by })
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

  private remember(id: string, stored: Stored<CounterRow>): void {
    this.known.delete(id);
    this.known.set(id, stored);
    if (this.known.size > KNOWN_ROWS) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
  }
}

export class Counters {
  private readonly daily: CoalescingCounterWriter;
  private readonly hourly: CoalescingCounterWriter;
  /** This instance's shard; another process most likely picks another one. */
  private readonly shard = randomInt(SHARDS);

  constructor(private readonly tables: CounterTables) {
    this.daily = new CoalescingCounterWriter(tables.daily);
    this.hourly = new CoalescingCounterWriter(tables.hourly);
  }

  /**
   * Count one outcome now. Written next to the work it counts; a failure to count is logged and
   * swallowed, because losing a counter is acceptable only when the work itself went through
   * (the caller's work is never failed by its bookkeeping).
   */
  async increment(key: CounterKey, by = 1): Promise<void> {
    const at = nowMs();
    const rk = counterRowKey(key, this.shard);
    try {
      await Promise.all([
        this.daily.add(tenantPartition(key.tenantId, timeBucket(at, 'day')), rk, by),
        this.hourly.add(tenantPartition(key.tenantId, timeBucket(at, 'hour')), rk, by),
      ]);
    } catch (error) {
      logger.warn('counter not incremented', { ...key, ...errorFields(error) });
    }
  }

  /**
   * What the dashboard reads of each of `days` (`YYYYMMDD`, answered in that order): closed days
   * from their rollup (one row each, written by the first read after the day closed), open days
   * summed from their counter rows (shared/analytics/rollups.ts).
   */
  dayTotals(tenantId: string, days: readonly string[], nowMs: number): Promise<DayTotals[]> {
    return dayTotals(this.tables.rollups, tenantId, days, nowMs, async (day) => {
      const at = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8)));
      return sumDay(day, await this.totals(tenantId, at, at, 'day'));
    });
  }

  /** Totals per key for each day (or hour) in [fromMs, toMs], shards summed, newest bucket first. */
  async totals(
    tenantId: string,
    fromMs: number,
    toMs: number,
    bucket: 'day' | 'hour',
    filter: Partial<Omit<CounterKey, 'tenantId'>> = {},
  ): Promise<CounterTotal[]> {
    const table = bucket === 'day' ? this.tables.daily : this.tables.hourly;
    const out: CounterTotal[] = [];
    // Narrow the RowKey range by the leading key parts the filter fixes (type, then integration).
    const prefixParts: string[] = [];
    if (filter.integrationType) {
      prefixParts.push(filter.integrationType);
      if (filter.integrationId) prefixParts.push(filter.integrationId);
    }
    const rowKeyPrefix = prefixParts.length > 0 ? `${prefixParts.map(escapeKey).join('|')}|` : undefined;
    for (const label of timeBucketsBetween(fromMs, toMs, bucket)) {
      const sums = new Map<string, CounterTotal>();
      for await (const row of table.iterate(tenantPartition(tenantId, label), rowKeyPrefix ? { rowKeyPrefix } : {})) {
        const parsed = parseRowKey(row.rowKey);
        if (!parsed) continue;
        if (filter.integrationId && parsed.integrationId !== filter.integrationId) continue;
        if (filter.outcome && parsed.outcome !== filter.outcome) continue;
        if (filter.code && parsed.code !== filter.code) continue;
        const id = [parsed.integrationType, parsed.integrationId, parsed.outcome, parsed.code].join('\u0000');
        const total = sums.get(id) ?? { tenantId, bucket: label, ...parsed, count: 0 };
        total.count += row.value.count;
        sums.set(id, total);
      }
      out.push(...sums.values());
    }
    return out;
  }
}
