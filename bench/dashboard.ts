import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startAzurite } from '../local/azurite';
import { Counters, counterRowKey, INTEGRATION_TYPES, type IntegrationType, SHARDS } from '../shared/analytics/counters';
import { FailureGroups, MAX_GROUPS } from '../shared/analytics/failure-groups';
import {
  type SummaryCounts,
  summaryDelta,
  summaryIncrements,
  summaryPartition,
  summaryRowKey,
} from '../shared/analytics/summaries';
import { counterTables } from '../shared/analytics/tables';
import {
  addFailureDay,
  failureGroupPartition,
  failureGroupRowKey,
  nextGroupRow,
  type Transaction,
} from '../shared/analytics/transactions';
import { buildDashboard, type DashboardDeps } from '../shared/dashboard/dashboard';
import { type StorageAccount, storageAccountFromConnectionString } from '../shared/storage/connection';
import { tenantPartition, timeBucket } from '../shared/storage/keys';
import { MAX_TRANSACTION_OPERATIONS, TableRepository } from '../shared/storage/table-repository';

/**
 * Dashboard latency against counted volume (docs/benchmarks.md, "Dashboard"):
 *
 *   node dist/bench/dashboard.js [runs=20]
 *
 * For 10k, 100k and 1M transactions spread over 90 days (tenant × type × 20 integrations × 12
 * codes, 70 % succeeded), the counters are written as `countTransaction` writes them — the same
 * counter rows, day summaries, shards and failure groups (with their per-day counts, the 500 seen
 * last) — except that each row's increments are summed before writing (one write per row instead
 * of n increments, which would take hours for 1M and gives the same rows). Then
 * `GET /api/v1/dashboard?days=30` and `?days=90` are built `runs` times each on an in-memory
 * Azurite and the median and p95 printed, with the rows each build reads.
 */
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 30, 12);
const INTEGRATIONS = 20;
/** Entity-group transactions in flight while generating. */
const WRITE_CONCURRENCY = 8;
const CODES = ['400', '401', '403', '404', '429', '500', '503', 'timeout', 'crashed', '811', '816', '882'];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface GeneratedRow {
  day: number;
  type: IntegrationType;
  id: string;
  ok: boolean;
  code: string;
  n: number;
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** Rows grouped by partition, then cut into entity-group transactions of at most 100. */
function batches<T extends { rowKey: string }>(byPartition: Map<string, T[]>): Array<{ pk: string; rows: T[] }> {
  const out: Array<{ pk: string; rows: T[] }> = [];
  for (const [pk, rows] of byPartition) {
    for (let i = 0; i < rows.length; i += MAX_TRANSACTION_OPERATIONS) {
      out.push({ pk, rows: rows.slice(i, i + MAX_TRANSACTION_OPERATIONS) });
    }
  }
  return out;
}

function progress(label: string, done: number, total: number, startedMs: number): void {
  const s = ((performance.now() - startedMs) / 1000).toFixed(1);
  process.stderr.write(`  ${label}: ${done}/${total} rows written, ${s} s\n`);
}

/**
 * The rows `countTransaction` would leave for `transactions` transactions, written in bulk: the
 * daily and hourly counter rows (each key's increments summed, on the shard of one of four
 * "instances", as several processes would leave them) and one failure group per distinct failure.
 */
async function generate(tenantId: string, transactions: number, account: StorageAccount): Promise<number> {
  const rnd = prng(transactions);
  const rows = new Map<string, GeneratedRow>();
  for (let i = 0; i < transactions; i++) {
    const day = Math.floor(rnd() * 90);
    const type = INTEGRATION_TYPES[Math.floor(rnd() * INTEGRATION_TYPES.length)] as IntegrationType;
    const id = `int-${Math.floor(rnd() * INTEGRATIONS)}`;
    const ok = rnd() < 0.7;
    const code = ok ? '-' : (CODES[Math.floor(rnd() * CODES.length)] as string);
    const key = `${day}|${type}|${id}|${ok}|${code}`;
    const row = rows.get(key) ?? { day, type, id, ok, code, n: 0 };
    row.n++;
    rows.set(key, row);
  }
  // Four distinct shards, so every volume reads the same number of summary rows per day.
  const picked = new Set<number>();
  while (picked.size < 4) picked.add(randomInt(SHARDS));
  const shards = [...picked];
  const tables = counterTables(account);
  const daily = new Map<string, Array<{ rowKey: string; count: number }>>();
  const hourly = new Map<string, Array<{ rowKey: string; count: number }>>();
  const groups = new Map<
    string,
    { rowKey: string; tx: Transaction; first: number; last: number; days: Record<string, number> }
  >();
  // Summary increments per day and shard, combined as the coalescing writer would combine them.
  const summaries = new Map<string, { day: string; shard: number; counts: SummaryCounts }>();
  let i = 0;
  for (const r of rows.values()) {
    const at = NOW - r.day * DAY;
    const shard = shards[i++ % shards.length] as number;
    const rowKey = counterRowKey(
      { integrationType: r.type, integrationId: r.id, outcome: r.ok ? 'succeeded' : 'failed', code: r.code },
      shard,
    );
    const day = timeBucket(at, 'day');
    const summaryKey = summaryRowKey(day, shard);
    const delta = summaryDelta(r.type, r.ok ? 'succeeded' : 'failed', r.code, r.n);
    const summary = summaries.get(summaryKey);
    summaries.set(summaryKey, {
      day,
      shard,
      counts: summary ? summaryIncrements.combine(summary.counts, delta) : delta,
    });
    for (const [map, bucket] of [
      [daily, 'day'],
      [hourly, 'hour'],
    ] as const) {
      const pk = tenantPartition(tenantId, timeBucket(at, bucket));
      const list = map.get(pk) ?? [];
      list.push({ rowKey, count: r.n });
      map.set(pk, list);
    }
    if (!r.ok) {
      const groupKey = failureGroupRowKey(r.type, r.id, r.code);
      const tx: Transaction = {
        tenantId,
        type: r.type,
        integrationId: r.id,
        ok: false,
        code: r.code,
        description: 'bench',
        service: 'bench',
      };
      const g = groups.get(groupKey) ?? { rowKey: groupKey, tx, first: at, last: at, days: {} };
      g.first = Math.min(g.first, at);
      g.last = Math.max(g.last, at);
      g.days = addFailureDay(g.days, at, r.n);
      groups.set(groupKey, g);
    }
  }
  const started = performance.now();
  for (const [label, table, map] of [
    ['counters', tables.daily, daily],
    ['counterhours', tables.hourly, hourly],
  ] as const) {
    const work = batches(map);
    const total = work.reduce((n, b) => n + b.rows.length, 0);
    let done = 0;
    let reported = 0;
    await pool(work, WRITE_CONCURRENCY, async (b) => {
      await table.transact(
        b.pk,
        b.rows.map((r) => ({ op: 'upsert', rowKey: r.rowKey, value: { count: r.count } })),
      );
      done += b.rows.length;
      if (done - reported >= 20_000 || done === total) {
        reported = done;
        progress(`${tenantId} ${label}`, done, total, started);
      }
    });
  }
  const summaryRows = [...summaries.values()].map((s) => ({
    rowKey: summaryRowKey(s.day, s.shard),
    value: summaryIncrements.apply(undefined, s.counts),
  }));
  await pool(batches(new Map([[summaryPartition(tenantId), summaryRows]])), WRITE_CONCURRENCY, async (b) => {
    await tables.summaries.transact(
      b.pk,
      b.rows.map((r) => ({ op: 'upsert', rowKey: r.rowKey, value: r.value })),
    );
  });
  progress(`${tenantId} countersummaries`, summaryRows.length, summaryRows.length, started);
  const groupTable = FailureGroups.of(account).table;
  // The groups the write path keeps: the MAX_GROUPS seen last.
  const groupRows = [...groups.values()]
    .sort((a, b) => b.last - a.last)
    .slice(0, MAX_GROUPS)
    .map((g) => {
      const row = nextGroupRow(undefined, g.tx, new Date(g.first).toISOString());
      return {
        rowKey: g.rowKey,
        value: { ...row, lastSeen: new Date(g.last).toISOString(), days: JSON.stringify(g.days) },
      };
    });
  await pool(batches(new Map([[failureGroupPartition(tenantId), groupRows]])), WRITE_CONCURRENCY, async (b) => {
    await groupTable.transact(
      b.pk,
      b.rows.map((r) => ({ op: 'upsert', rowKey: r.rowKey, value: r.value })),
    );
  });
  progress(`${tenantId} failuregroups`, groupRows.length, groupRows.length, started);
  return rows.size;
}

function stats(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? 0, p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] ?? 0 };
}

/** Rows every table read returns, counted by wrapping `list` (the one call every read goes through). */
let rowsRead = 0;
const list = TableRepository.prototype.list;
TableRepository.prototype.list = async function (this: TableRepository<Record<string, unknown>>, ...args) {
  const page = await list.apply(this, args);
  rowsRead += page.items.length;
  return page;
} as typeof list;

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 20);
  const volumes = (process.argv[3] ?? '10000,100000,1000000').split(',').map(Number);
  const results: Array<{
    transactions: number;
    rows: number;
    days: number;
    read: number;
    median: number;
    p95: number;
  }> = [];
  for (const transactions of volumes) {
    // A fresh Azurite per volume: Azurite answers a partition query by scanning the whole table
    // (Table Storage serves it from the partition's index), so tenants of earlier volumes would
    // slow the later reads down and the ratio would measure Azurite, not the dashboard.
    const azurite = await startAzurite({});
    try {
      const account = storageAccountFromConnectionString(azurite.connectionString);
      const deps: DashboardDeps = { counters: new Counters(counterTables(account)), groups: FailureGroups.of(account) };
      const tenantId = `bench-${transactions}`;
      const rows = await generate(tenantId, transactions, account);
      for (const days of [30, 90]) {
        await buildDashboard(deps, tenantId, { days }, NOW); // warm-up
        rowsRead = 0;
        await buildDashboard(deps, tenantId, { days }, NOW);
        const read = rowsRead;
        const samples: number[] = [];
        for (let r = 0; r < runs; r++) {
          const t0 = performance.now();
          await buildDashboard(deps, tenantId, { days }, NOW);
          samples.push(performance.now() - t0);
        }
        results.push({ transactions, rows, days, read, ...stats(samples) });
        process.stderr.write(`  ${tenantId} days=${days}: median ${stats(samples).median.toFixed(1)} ms\n`);
      }
    } finally {
      await azurite.stop();
    }
  }
  console.log('| transactions | distinct counter rows | days | rows read | median ms | p95 ms |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.transactions.toLocaleString('en')} | ${r.rows} | ${r.days} | ${r.read} | ${r.median.toFixed(1)} | ${r.p95.toFixed(1)} |`,
    );
  }
  const base = Math.min(...volumes);
  const top = Math.max(...volumes);
  for (const days of [30, 90]) {
    const small = results.find((r) => r.transactions === base && r.days === days)?.median ?? 0;
    const large = results.find((r) => r.transactions === top && r.days === days)?.median ?? 0;
    console.log(`days=${days}: ${top} / ${base} median = ${(large / small).toFixed(2)} (target ≤ 1.5 for 1M / 10k)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
