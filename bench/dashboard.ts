import { performance } from 'node:perf_hooks';
import { startAzurite } from '../local/azurite';
import { Counters, INTEGRATION_TYPES, type IntegrationType } from '../shared/analytics/counters';
import { FailureGroups } from '../shared/analytics/failure-groups';
import { counterTables, failureGroupsTable } from '../shared/analytics/tables';
import { countTransaction } from '../shared/analytics/transactions';
import { installClock, ManualClock } from '../shared/clock';
import { buildDashboard, type DashboardDeps } from '../shared/dashboard/dashboard';
import { storageAccountFromConnectionString } from '../shared/storage/connection';

/**
 * Dashboard latency against counted volume (docs/benchmarks.md, "Dashboard"):
 *
 *   node dist/bench/dashboard.js [runs=20]
 *
 * For 10k, 100k and 1M transactions spread over 90 days (tenant × type × 20 integrations × 12
 * codes, 70 % succeeded), the counters are written as `countTransaction` writes them — the same
 * rows, shards and failure groups — except that each row's increments are summed before writing
 * (one `increment(key, n)` per row and day instead of n calls, which would take hours for 1M and
 * gives the same rows). Then `GET /api/v1/dashboard?days=30` and `?days=90` are built `runs` times
 * each on an in-memory Azurite and the median and p95 printed.
 */
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 30, 12);
const INTEGRATIONS = 20;
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

async function generate(tenantId: string, transactions: number, counters: Counters[], groups: FailureGroups) {
  const rnd = prng(transactions);
  const rows = new Map<
    string,
    { day: number; type: IntegrationType; id: string; ok: boolean; code: string; n: number }
  >();
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
  const clock = new ManualClock(NOW);
  const restore = installClock(clock);
  const pending: Promise<unknown>[] = [];
  let i = 0;
  for (const r of rows.values()) {
    clock.set(NOW - r.day * DAY);
    // Four "instances", so rows are spread over shards as several processes would leave them.
    const c = counters[i++ % counters.length] as Counters;
    pending.push(
      c.increment(
        {
          tenantId,
          integrationType: r.type,
          integrationId: r.id,
          outcome: r.ok ? 'succeeded' : 'failed',
          code: r.code,
        },
        r.n,
      ),
    );
    if (!r.ok) {
      pending.push(
        countTransaction(
          { counters: { increment: async () => undefined }, groups },
          {
            tenantId,
            type: r.type,
            integrationId: r.id,
            ok: false,
            code: r.code,
            description: 'bench',
            service: 'bench',
          },
        ),
      );
    }
    if (pending.length >= 64) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  restore();
  return rows.size;
}

function stats(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? 0, p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] ?? 0 };
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 20);
  const azurite = await startAzurite({});
  try {
    const account = storageAccountFromConnectionString(azurite.connectionString);
    const tables = counterTables(account);
    const counters = Array.from({ length: 4 }, () => new Counters(tables));
    const groups = new FailureGroups(failureGroupsTable(account));
    const deps: DashboardDeps = { counters: counters[0] as Counters, groups };
    const results: Array<{ transactions: number; rows: number; days: number; median: number; p95: number }> = [];
    for (const transactions of [10_000, 100_000, 1_000_000]) {
      const tenantId = `bench-${transactions}`;
      const rows = await generate(tenantId, transactions, counters, groups);
      for (const days of [30, 90]) {
        await buildDashboard(deps, tenantId, { days }, NOW); // warm-up
        const samples: number[] = [];
        for (let r = 0; r < runs; r++) {
          const t0 = performance.now();
          await buildDashboard(deps, tenantId, { days }, NOW);
          samples.push(performance.now() - t0);
        }
        results.push({ transactions, rows, days, ...stats(samples) });
      }
    }
    console.log('| transactions | distinct counter rows | days | median ms | p95 ms |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const r of results) {
      console.log(
        `| ${r.transactions.toLocaleString('en')} | ${r.rows} | ${r.days} | ${r.median.toFixed(1)} | ${r.p95.toFixed(1)} |`,
      );
    }
    for (const days of [30, 90]) {
      const small = results.find((r) => r.transactions === 10_000 && r.days === days)?.median ?? 0;
      const large = results.find((r) => r.transactions === 1_000_000 && r.days === days)?.median ?? 0;
      console.log(`days=${days}: 1M / 10k median = ${(large / small).toFixed(2)} (target ≤ 1.5)`);
    }
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
