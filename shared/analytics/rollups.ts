import { errorFields, logger } from '../observability/logger';
import { tenantPartition } from '../storage/keys';
import type { TableRepository } from '../storage/table-repository';
import type { CounterTotal } from './counters';
import { INTEGRATION_TYPES, type IntegrationType } from './integration-types';
import { type DayRollupRow, ROLLUP_PART_CHARS, ROLLUP_PARTS } from './tables';

/**
 * Day rollups (docs/dashboard.md, "How it is stored"): what a dashboard needs of one tenant-day —
 * succeeded and failed per type, failed per type × integration × code — with the shards and the
 * detail outcomes gone. A closed day's `counters` partition no longer changes, so its rollup is
 * computed once, by the first reader after the day closed, and every later period reads one row per
 * day from one partition instead of every counter row of every day (which grows with the variety
 * of integrations and codes, and so with volume). The open days (today, and yesterday until
 * CLOSE_GRACE_MS after midnight, while increments counted before midnight may still be landing)
 * are summed from their counters on every read.
 */
export interface DayTotals {
  /** `YYYYMMDD` (UTC). */
  day: string;
  types: Record<IntegrationType, { succeeded: number; failed: number; filtered: number }>;
  failed: Array<{ type: IntegrationType; integrationId: string; code: string; count: number }>;
}

const DAY_MS = 86_400_000;
/** A day is closed this long after its last millisecond (a coalesced write retries for seconds at most). */
export const CLOSE_GRACE_MS = 15 * 60_000;
/** Day partitions summed (or rollups written) at once. */
const CONCURRENCY = 16;

function dayStartMs(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8)));
}

export function isClosed(day: string, nowMs: number): boolean {
  return dayStartMs(day) + DAY_MS + CLOSE_GRACE_MS <= nowMs;
}

export function rollupPartition(tenantId: string): string {
  return tenantPartition(tenantId, 'days');
}

function emptyTypes(): DayTotals['types'] {
  return Object.fromEntries(
    INTEGRATION_TYPES.map((t) => [t, { succeeded: 0, failed: 0, filtered: 0 }]),
  ) as DayTotals['types'];
}

/** A day's totals from its counter rows (every shard; detail outcomes ignored). */
export function sumDay(day: string, rows: readonly CounterTotal[]): DayTotals {
  const types = emptyTypes();
  const failed = new Map<string, DayTotals['failed'][number]>();
  for (const row of rows) {
    const tally = types[row.integrationType];
    if (!tally) continue;
    if (row.outcome === 'succeeded') tally.succeeded += row.count;
    if (row.outcome === 'filtered') tally.filtered += row.count;
    if (row.outcome !== 'failed') continue;
    tally.failed += row.count;
    const key = `${row.integrationType}\u0000${row.integrationId}\u0000${row.code}`;
    const entry = failed.get(key) ?? {
      type: row.integrationType,
      integrationId: row.integrationId,
      code: row.code,
      count: 0,
    };
    entry.count += row.count;
    failed.set(key, entry);
  }
  return { day, types, failed: [...failed.values()] };
}

/** The stored row of a day, or undefined when its failure list is too varied for one row. */
export function toRow(totals: DayTotals): DayRollupRow | undefined {
  const types = Object.fromEntries(
    INTEGRATION_TYPES.map((t) => [t, [totals.types[t].succeeded, totals.types[t].failed, totals.types[t].filtered]]),
  );
  const json = JSON.stringify(totals.failed.map((f) => [f.type, f.integrationId, f.code, f.count]));
  const parts = Math.ceil(json.length / ROLLUP_PART_CHARS);
  if (parts > ROLLUP_PARTS) return undefined;
  const row: DayRollupRow = { types: JSON.stringify(types), parts };
  for (let i = 0; i < parts; i++) row[`f${i}`] = json.slice(i * ROLLUP_PART_CHARS, (i + 1) * ROLLUP_PART_CHARS);
  return row;
}

/** A stored rollup read back; undefined when it cannot be read (then the day is summed again). */
export function fromRow(day: string, row: DayRollupRow): DayTotals | undefined {
  try {
    // [succeeded, failed, filtered]; rows rolled up before ingest filters existed hold two.
    const stored = JSON.parse(row.types) as Record<string, [number, number, number?]>;
    const types = emptyTypes();
    for (const t of INTEGRATION_TYPES) {
      const [succeeded, failed, filtered = 0] = stored[t] ?? [0, 0, 0];
      if (![succeeded, failed, filtered].every(Number.isSafeInteger)) return undefined;
      types[t] = { succeeded, failed, filtered };
    }
    let json = '';
    for (let i = 0; i < row.parts; i++) json += row[`f${i}`] ?? '';
    const list: unknown = JSON.parse(json || '[]');
    if (!Array.isArray(list)) return undefined;
    const failed: DayTotals['failed'] = [];
    for (const item of list) {
      if (!Array.isArray(item) || item.length !== 4) return undefined;
      const [type, integrationId, code, count] = item as [unknown, unknown, unknown, unknown];
      if (!(INTEGRATION_TYPES as readonly unknown[]).includes(type)) return undefined;
      if (typeof integrationId !== 'string' || typeof code !== 'string' || !Number.isSafeInteger(count)) {
        return undefined;
      }
      failed.push({ type: type as IntegrationType, integrationId, code, count: count as number });
    }
    return { day, types, failed };
  } catch {
    return undefined;
  }
}

async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i] as T);
      }
    }),
  );
  return out;
}

/**
 * The totals of each of `days` (any order; answered in the same order): closed days from their
 * rollup — summing and storing the ones not rolled up yet — and open days from their counters.
 * Without a rollup table every day is summed from its counters.
 */
export async function dayTotals(
  rollups: TableRepository<DayRollupRow> | undefined,
  tenantId: string,
  days: readonly string[],
  nowMs: number,
  sumFromCounters: (day: string) => Promise<DayTotals>,
): Promise<DayTotals[]> {
  const known = new Map<string, DayTotals>();
  const closed = rollups ? days.filter((d) => isClosed(d, nowMs)).sort() : [];
  if (rollups && closed.length > 0) {
    const first = closed[0] as string;
    const last = closed[closed.length - 1] as string;
    const wanted = new Set(closed);
    for await (const row of rollups.iterate(rollupPartition(tenantId), { rowKeyFrom: first, rowKeyTo: `${last}~` })) {
      if (!wanted.has(row.rowKey)) continue;
      const totals = fromRow(row.rowKey, row.value);
      if (totals) known.set(row.rowKey, totals);
    }
  }
  const missing = days.filter((d) => !known.has(d));
  const summed = await pool(missing, CONCURRENCY, async (day) => {
    const totals = await sumFromCounters(day);
    known.set(day, totals);
    return totals;
  });
  if (rollups) {
    const toStore = summed.filter((t) => isClosed(t.day, nowMs));
    await pool(toStore, CONCURRENCY, async (totals) => {
      const row = toRow(totals);
      if (!row) return; // too varied for one row: summed from its counters on every read
      // Same input, same row: two readers rolling up one day at once write the same thing.
      await rollups
        .upsert(rollupPartition(tenantId), totals.day, row)
        .catch((error: unknown) =>
          logger.warn('day rollup not stored', { tenantId, day: totals.day, ...errorFields(error) }),
        );
    });
  }
  return days.map((d) => known.get(d) ?? sumDay(d, []));
}
