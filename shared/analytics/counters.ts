import { randomInt } from 'node:crypto';
import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import { escapeKey, tenantPartition, timeBucket, timeBucketsBetween, unescapeKey } from '../storage/keys';
import { CoalescingWriter, type Increments } from './coalescing-writer';
import { INTEGRATION_TYPES, type IntegrationType } from './integration-types';
import {
  controlDelta,
  countsOf,
  type DaySummary,
  dayOfSummaryRowKey,
  type SummaryCounts,
  summaryDelta,
  summaryIncrements,
  summaryPartition,
  summaryRowKey,
  sumSummaries,
} from './summaries';
import type { CounterRow, CounterSummaryRow, CounterTables } from './tables';

/**
 * Pre-aggregated outcome counters (docs/design.md §4): one increment per outcome — event received, stage
 * outcome, tool call, vendor call, probe, outbound attempt, replay guard hit — keyed by tenant ×
 * day (and hour) × integration type × integration × outcome × status code or error type.
 *
 * Increments are ETag-conditional writes, so concurrent instances never lose an increment; each
 * instance writes its own shard row of a key, and increments of a row that meet in one process are
 * summed into one write (CoalescingWriter), so a hot counter costs far less than a round trip per
 * increment (docs/decisions.md §36). A transaction outcome (`succeeded` / `failed`) also adds to
 * the tenant-day summary row of the instance's shard, the bounded row the dashboard reads
 * (shared/analytics/summaries.ts, docs/decisions.md §70).
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

const counterIncrements: Increments<CounterRow, number> = {
  combine: (a, b) => a + b,
  apply: (current, by) => ({ count: (current?.count ?? 0) + by }),
};

export class Counters {
  private readonly daily: CoalescingWriter<CounterRow, number>;
  private readonly hourly: CoalescingWriter<CounterRow, number>;
  private readonly summaries: CoalescingWriter<CounterSummaryRow, SummaryCounts>;
  /** This instance's shard; another process most likely picks another one. */
  private readonly shard = randomInt(SHARDS);

  constructor(private readonly tables: CounterTables) {
    this.daily = new CoalescingWriter(tables.daily, counterIncrements);
    this.hourly = new CoalescingWriter(tables.hourly, counterIncrements);
    this.summaries = new CoalescingWriter(tables.summaries, summaryIncrements);
  }

  /**
   * Count one outcome now. Written next to the work it counts; a failure to count is logged and
   * swallowed, because losing a counter is acceptable only when the work itself went through
   * (the caller's work is never failed by its bookkeeping). `at` is when the counted outcomes
   * happened, for increments written later (CounterTallies); default now.
   */
  async increment(key: CounterKey, by = 1, at = nowMs()): Promise<void> {
    const rk = counterRowKey(key, this.shard);
    const day = timeBucket(at, 'day');
    const writes = [
      this.daily.add(tenantPartition(key.tenantId, day), rk, by),
      this.hourly.add(tenantPartition(key.tenantId, timeBucket(at, 'hour')), rk, by),
    ];
    const outcome = key.outcome;
    const transaction = outcome === 'succeeded' || outcome === 'failed' || outcome === 'filtered';
    // Held and throttled work goes into the same row's controls (the dashboard's held/throttled figures).
    const control = outcome === 'held' || outcome === 'throttled';
    if ((transaction || control) && (INTEGRATION_TYPES as readonly string[]).includes(key.integrationType)) {
      writes.push(
        this.summaries.add(
          summaryPartition(key.tenantId),
          summaryRowKey(day, this.shard),
          transaction
            ? summaryDelta(key.integrationType, outcome, key.code, by)
            : controlDelta(key.integrationType, outcome, by),
        ),
      );
    }
    try {
      await Promise.all(writes);
    } catch (error) {
      logger.warn('counter not incremented', { ...key, ...errorFields(error) });
    }
  }

  /**
   * What the dashboard reads of each of `days` (`YYYYMMDD`, answered in that order): the summary
   * rows of every shard of those days, one RowKey range of one partition (at most days × SHARDS
   * rows of bounded size, however many transactions were counted). A row that cannot be read is
   * logged and left out rather than failing the dashboard.
   */
  async daySummaries(tenantId: string, days: readonly string[]): Promise<DaySummary[]> {
    if (days.length === 0) return [];
    const sorted = [...days].sort();
    const rows: Array<{ day: string; counts: SummaryCounts }> = [];
    const range = { rowKeyFrom: sorted[0] as string, rowKeyTo: `${sorted[sorted.length - 1]}~` };
    for await (const row of this.tables.summaries.iterate(summaryPartition(tenantId), range)) {
      try {
        rows.push({ day: dayOfSummaryRowKey(row.rowKey), counts: countsOf(row.value) });
      } catch (error) {
        logger.warn('counter summary unreadable', { tenantId, rowKey: row.rowKey, ...errorFields(error) });
      }
    }
    return sumSummaries(days, rows);
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
