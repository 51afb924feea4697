import { afterEach, describe, expect, it } from 'vitest';
import { Counters, INTEGRATION_TYPES, type IntegrationType } from '../../shared/analytics/counters';
import { FailureGroups } from '../../shared/analytics/failure-groups';
import { type CounterTables, failureGroupRowSchema } from '../../shared/analytics/tables';
import {
  countTransaction,
  failureGroupPartition,
  failureGroupRowKey,
  type Transaction,
  type TransactionDeps,
} from '../../shared/analytics/transactions';
import { installClock, ManualClock } from '../../shared/clock';
import { buildDashboard, changePct, type DashboardDeps, failureDetail } from '../../shared/dashboard/dashboard';
import { resolveCatalogEntry } from '../../shared/error-catalog/catalog';
import { isDomainError } from '../../shared/errors/domain-error';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { TableRepository } from '../../shared/storage/table-repository';
import { freshCounterTables } from '../support/counter-tables';

/**
 * The dashboard against a brute-force count of the transactions the test itself creates: every
 * integration type, spread over two periods and across day boundaries, on the virtual clock.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
let seq = 0;
const name = (tag: string) => `dash${tag}${process.pid}${Date.now().toString(36)}${seq++}`;

function freshDeps(maxGroups?: number): {
  tx: TransactionDeps[];
  dash: DashboardDeps;
  tables: CounterTables;
  groups: FailureGroups;
} {
  const tables = freshCounterTables(account);
  const groups = new FailureGroups(new TableRepository(account, name('g'), failureGroupRowSchema), maxGroups);
  // Two "instances" so the rows of one key are spread over shards the reader has to sum.
  const a = new Counters(tables);
  const b = new Counters(tables);
  return {
    tx: [
      { counters: a, groups },
      { counters: b, groups },
    ],
    dash: { counters: a, groups },
    tables,
    groups,
  };
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
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

const DAY = 86_400_000;
const TODAY = Date.UTC(2026, 2, 10); // midnight UTC
const NOW = TODAY + 20 * 3_600_000;
const DAYS = 3;
const CODES = ['404', '500', '503', '401', 'crashed', '882', '811', '816', 'timeout', '418', 'made_up_code'];

interface Made extends Transaction {
  at: number;
}

function makeTransactions(): Made[] {
  const rnd = prng(20);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const out: Made[] = [];
  // From 7 days back (outside both periods) to now; both periods are DAYS long.
  const start = TODAY - (2 * DAYS + 1) * DAY;
  for (let i = 0; i < 260; i++) {
    const at = start + Math.floor(rnd() * (NOW - start));
    const ok = rnd() < 0.6;
    out.push({
      at,
      tenantId: 'tenant-dash',
      type: pick(INTEGRATION_TYPES),
      integrationId: pick(['i1', 'i2', 'i-3/x']),
      ok,
      code: ok ? '-' : pick(CODES),
      description: 'it failed',
      service: pick(['validation', 'tool_call', undefined]),
      flow: pick(['sop-1', undefined]),
      example: { kind: 'event', id: `ev${i}` },
    });
  }
  // Either side of each midnight between the periods, and on today's first millisecond.
  for (const edge of [TODAY - DAYS * DAY, TODAY - 2 * DAYS * DAY, TODAY]) {
    for (const at of [edge - 1, edge]) {
      out.push({
        at,
        tenantId: 'tenant-dash',
        type: 'custom_event',
        integrationId: 'ticket.created',
        ok: false,
        code: '400',
      });
      out.push({ at, tenantId: 'tenant-dash', type: 'custom_node', integrationId: 'sop-9', ok: true, code: '-' });
    }
  }
  // Codes the catalog does not list, surely in the current period.
  for (const code of ['418', 'made_up_code']) {
    out.push({
      at: TODAY + 3_600_000,
      tenantId: 'tenant-dash',
      type: 'prebuilt_integration',
      integrationId: 'i1',
      ok: false,
      code,
    });
  }
  return out;
}

/** Held and throttled outcomes (not transactions) counted as the outbound and inbound controls do. */
interface MadeControl {
  at: number;
  type: IntegrationType;
  outcome: 'held' | 'throttled';
  by: number;
}

function makeControls(): MadeControl[] {
  const rnd = prng(89);
  const out: MadeControl[] = [];
  const start = TODAY - (2 * DAYS + 1) * DAY;
  for (let i = 0; i < 120; i++) {
    const r = rnd();
    // Outbound: held (a publish holds several at once) or throttled; inbound: held events.
    const [type, outcome]: [IntegrationType, 'held' | 'throttled'] =
      r < 0.35
        ? ['outbound_webhook', 'held']
        : r < 0.7
          ? ['outbound_webhook', 'throttled']
          : ['inbound_webhook', 'held'];
    out.push({ at: start + Math.floor(rnd() * (NOW - start)), type, outcome, by: 1 + Math.floor(rnd() * 3) });
  }
  // Either side of the current period's first midnight.
  out.push({ at: TODAY - DAYS * DAY + DAY - 1, type: 'inbound_webhook', outcome: 'held', by: 1 });
  out.push({ at: TODAY - (DAYS - 1) * DAY - 1, type: 'outbound_webhook', outcome: 'held', by: 4 });
  return out;
}

/** What the dashboard should say of `list` on [from, to): held, throttled, inbound held. */
function controlsOf(list: MadeControl[], from: number, to: number) {
  const mine = list.filter((c) => c.at >= from && c.at < to);
  const sum = (pick: (c: MadeControl) => boolean) => mine.filter(pick).reduce((n, c) => n + c.by, 0);
  return {
    held: sum((c) => c.type === 'outbound_webhook' && c.outcome === 'held'),
    throttled: sum((c) => c.type === 'outbound_webhook' && c.outcome === 'throttled'),
    inboundHeld: sum((c) => c.type !== 'outbound_webhook' && c.outcome === 'held'),
  };
}

async function countControls(
  counters: Array<Pick<Counters, 'increment'>>,
  tenantId: string,
  list: MadeControl[],
  clock: ManualClock,
) {
  const writes: Promise<void>[] = [];
  list.forEach((c, i) => {
    clock.set(c.at);
    writes.push(
      counters[i % counters.length]!.increment(
        { tenantId, integrationType: c.type, integrationId: `x${i % 4}`, outcome: c.outcome, code: '-' },
        c.by,
      ),
    );
  });
  await Promise.all(writes);
}

let restore: (() => void) | undefined;
afterEach(() => restore?.());

describe('dashboard (Azurite, virtual clock)', () => {
  it('equals a brute-force count of the transactions created, per type, code, day and period', async () => {
    const { tx, dash } = freshDeps();
    const clock = new ManualClock(0);
    restore = installClock(clock);
    const made = makeTransactions();
    // Counters and failure groups read the clock synchronously when called, so the clock can move
    // on before the writes land; the writes of many transactions then overlap, as in production.
    const writes: Promise<void>[] = [];
    made.forEach((t, i) => {
      clock.set(t.at);
      writes.push(countTransaction(tx[i % 2]!, t));
    });
    await Promise.all(writes);
    clock.set(NOW);

    const result = await buildDashboard(
      dash,
      'tenant-dash',
      { days: DAYS, types: ['custom_event', 'custom_node'] },
      NOW,
    );

    const curFrom = TODAY - (DAYS - 1) * DAY;
    const prevFrom = curFrom - DAYS * DAY;
    const inCur = made.filter((t) => t.at >= curFrom && t.at <= NOW);
    const inPrev = made.filter((t) => t.at >= prevFrom && t.at < curFrom);
    const tally = (list: Made[]) => ({
      succeeded: list.filter((t) => t.ok).length,
      failed: list.filter((t) => !t.ok).length,
      // Only inbound events an ingest filter dropped count here, and this test makes none.
      filtered: 0,
    });

    const cur = tally(inCur);
    const prev = tally(inPrev);
    expect(result.totals).toEqual({
      ...cur,
      succeededChangePct: changePct(cur.succeeded, prev.succeeded),
      failedChangePct: changePct(cur.failed, prev.failed),
    });
    expect(result.byType.map((b) => b.type)).toEqual([...INTEGRATION_TYPES]);
    for (const row of result.byType) {
      const c = tally(inCur.filter((t) => t.type === row.type));
      const p = tally(inPrev.filter((t) => t.type === row.type));
      expect(row, row.type).toEqual({
        type: row.type,
        ...c,
        succeededChangePct: changePct(c.succeeded, p.succeeded),
        failedChangePct: changePct(c.failed, p.failed),
      });
    }

    const failedNow = inCur.filter((t) => !t.ok);
    const codes = [...new Set(failedNow.map((t) => String(t.code)))].sort();
    expect(result.errorsByCode.map((e) => e.code).sort()).toEqual(codes);
    for (const e of result.errorsByCode) {
      const mine = failedNow.filter((t) => String(t.code) === e.code);
      expect(e.count, e.code).toBe(mine.length);
      for (const type of INTEGRATION_TYPES) {
        expect(e.byType[type], `${e.code} ${type}`).toBe(mine.filter((t) => t.type === type).length);
      }
      expect(e.label).toBe(resolveCatalogEntry(e.code).entry.title);
    }
    expect(result.errorsByCode.find((e) => e.code === '404')?.label).toBe('Not Found');
    // Codes the catalog does not list fall back to their class.
    expect(result.errorsByCode.find((e) => e.code === '418')?.catalogCode).toBe('4xx');
    expect(result.errorsByCode.find((e) => e.code === 'made_up_code')?.catalogCode).toBe('5xx');

    // Trends: one point per day and (filtered) type, oldest day first.
    const trendTypes: IntegrationType[] = ['custom_event', 'custom_node'];
    expect(result.trends).toHaveLength(DAYS * trendTypes.length);
    for (const point of result.trends) {
      const dayStart = Date.parse(`${point.date}T00:00:00Z`);
      const mine = inCur.filter((t) => t.type === point.type && t.at >= dayStart && t.at < dayStart + DAY);
      expect(
        { succeeded: point.succeeded, failed: point.failed, filtered: point.filtered },
        `${point.date} ${point.type}`,
      ).toEqual(tally(mine));
    }
    expect(result.trends[0]?.date).toBe(new Date(curFrom).toISOString().slice(0, 10));

    // Failures table: one row per type × integration × code failing in the period.
    const groupKey = (t: { type: string; integrationId: string; code: string | number }) =>
      `${t.type}|${t.integrationId}|${String(t.code)}`;
    const expectedGroups = new Map<string, number>();
    for (const t of failedNow) expectedGroups.set(groupKey(t), (expectedGroups.get(groupKey(t)) ?? 0) + 1);
    expect(new Map(result.failures.map((f) => [groupKey(f), f.totalErrors]))).toEqual(expectedGroups);
    const totals = result.failures.map((f) => f.totalErrors);
    expect(totals).toEqual([...totals].sort((x, y) => y - x));

    // A row's detail: same numbers, its examples (newest first, linked) and links.
    const row = result.failures.find((f) => f.type === 'inbound_webhook') ?? result.failures[0]!;
    const detail = await failureDetail(dash, 'tenant-dash', row.id, DAYS, NOW);
    expect(detail.totalErrors).toBe(row.totalErrors);
    expect(detail.code).toBe(row.code);
    expect(detail.examples.length).toBeGreaterThan(0);
    expect(detail.examples[0]?.link).toMatch(/^\/api\/v1\/events\/ev\d+$/);
    expect(detail.remediation.length).toBeGreaterThan(0);
    expect(detail.links.catalog).toBe(`/api/v1/error-catalog/${encodeURIComponent(row.catalogCode)}`);
    const lastOfGroup = Math.max(...made.filter((t) => !t.ok && groupKey(t) === groupKey(row)).map((t) => t.at));
    expect(detail.lastSeen).toBe(new Date(lastOfGroup).toISOString());
  });

  it('counts held, throttled and inbound held exactly per day and period, apart from the transactions', async () => {
    const { tx, dash } = freshDeps();
    const clock = new ManualClock(0);
    restore = installClock(clock);
    const made = makeTransactions().slice(0, 60);
    const controls = makeControls();
    const writes: Promise<void>[] = [];
    made.forEach((t, i) => {
      clock.set(t.at);
      writes.push(countTransaction(tx[i % 2]!, t));
    });
    await Promise.all(writes);
    await countControls(
      tx.map((x) => x.counters),
      'tenant-dash',
      controls,
      clock,
    );
    clock.set(NOW);
    const result = await buildDashboard(dash, 'tenant-dash', { days: DAYS }, NOW);

    const curFrom = TODAY - (DAYS - 1) * DAY;
    expect(result.controls).toEqual(controlsOf(controls, curFrom, NOW + 1));
    expect(result.controlTrends.map((p) => p.date)).toEqual(
      Array.from({ length: DAYS }, (_, i) => new Date(curFrom + i * DAY).toISOString().slice(0, 10)),
    );
    for (const point of result.controlTrends) {
      const dayStart = Date.parse(`${point.date}T00:00:00Z`);
      expect(point, point.date).toEqual({ date: point.date, ...controlsOf(controls, dayStart, dayStart + DAY) });
    }
    // Not transactions: the tiles count only the transactions made.
    const inCur = made.filter((t) => t.at >= curFrom && t.at <= NOW);
    expect(result.totals.succeeded).toBe(inCur.filter((t) => t.ok).length);
    expect(result.totals.failed).toBe(inCur.filter((t) => !t.ok).length);
  });

  it('reads as many rows for a period at twice the volume and variety (summaries and capped groups)', async () => {
    const CAP = 20;
    const { tx, dash, tables, groups } = freshDeps(CAP);
    const clock = new ManualClock(0);
    restore = installClock(clock);
    // The same transactions for a small tenant once, and for a big one twice over with twice the
    // integrations (so twice the distinct failures, far beyond the group cap).
    const base = makeTransactions();
    const small = base.map((t) => ({ ...t, tenantId: 'tenant-small' }));
    const big = Array.from({ length: 2 }, (_, rep) =>
      base.map((t) => ({ ...t, tenantId: 'tenant-big', integrationId: `${t.integrationId}-${rep}` })),
    ).flat();
    for (const list of [small, big]) {
      const writes: Promise<void>[] = [];
      list.forEach((t, i) => {
        clock.set(t.at);
        writes.push(countTransaction(tx[i % 2]!, t));
      });
      await Promise.all(writes);
    }
    // Held and throttled work, twice over for the big tenant: counted in the same summary rows.
    const controlCounters = tx.map((x) => x.counters);
    await countControls(controlCounters, 'tenant-small', makeControls(), clock);
    for (let rep = 0; rep < 2; rep++) await countControls(controlCounters, 'tenant-big', makeControls(), clock);
    clock.set(NOW);

    // Rows read, counted where every read goes through: `list` of each table the dashboard holds.
    const rowsRead = new Map<string, number>();
    for (const table of [tables.daily, tables.hourly, tables.summaries, groups.table] as Array<
      TableRepository<Record<string, unknown>>
    >) {
      const list = table.list.bind(table);
      table.list = async (...args) => {
        const page = await list(...args);
        rowsRead.set(table.tableName, (rowsRead.get(table.tableName) ?? 0) + page.items.length);
        return page;
      };
    }
    const read = async (tenantId: string) => {
      rowsRead.clear();
      const dashboard = await buildDashboard(dash, tenantId, { days: DAYS }, NOW);
      const rows = (table: { tableName: string }) => rowsRead.get(table.tableName) ?? 0;
      return {
        dashboard,
        counters: rows(tables.daily) + rows(tables.hourly),
        summaries: rows(tables.summaries),
        groups: rows(groups.table),
      };
    };
    const a = await read('tenant-small');
    const b = await read('tenant-big');

    expect(b.dashboard.totals.succeeded).toBe(2 * a.dashboard.totals.succeeded);
    expect(b.dashboard.totals.failed).toBe(2 * a.dashboard.totals.failed);
    expect(a.dashboard.controls.held + a.dashboard.controls.throttled).toBeGreaterThan(0);
    expect(b.dashboard.controls).toEqual({
      held: 2 * a.dashboard.controls.held,
      throttled: 2 * a.dashboard.controls.throttled,
      inboundHeld: 2 * a.dashboard.controls.inboundHeld,
    });
    // The detailed counters are never read; the summaries are the same rows at either volume
    // (2 × DAYS days × the two writers' shards at most), and the groups are capped.
    expect(a.counters + b.counters).toBe(0);
    expect(a.summaries).toBeGreaterThan(0);
    expect(b.summaries).toBe(a.summaries);
    expect(b.summaries).toBeLessThanOrEqual(2 * DAYS * 2);
    expect(b.groups).toBeLessThanOrEqual(CAP);
    expect(b.dashboard.failures.length).toBeLessThanOrEqual(CAP);
    // Trimming: racing writers may leave a few groups over the cap for a while (a group refreshed
    // meanwhile is not deleted); the next new group alone trims the partition to the cap exactly,
    // and keeps the newest.
    await countTransaction(tx[0]!, {
      tenantId: 'tenant-big',
      type: 'custom_node',
      integrationId: 'sop-new',
      ok: false,
      code: '811',
    });
    const kept = await groups.list(failureGroupPartition('tenant-big'), 10 * CAP);
    expect(kept).toHaveLength(CAP);
    expect(kept.map((g) => g.rowKey)).toContain(failureGroupRowKey('custom_node', 'sop-new', '811'));
    // About 800 transactions written through Azurite: slow on a busy machine, not timed.
  }, 180_000);

  it('answers every type with zeros and null changes for a tenant with no transactions', async () => {
    const { dash } = freshDeps();
    const result = await buildDashboard(dash, 'tenant-empty', { days: 1 }, NOW);
    expect(result.totals).toEqual({
      succeeded: 0,
      failed: 0,
      filtered: 0,
      succeededChangePct: null,
      failedChangePct: null,
    });
    expect(result.byType).toHaveLength(5);
    expect(result.trends).toHaveLength(5);
    expect(result.failures).toEqual([]);
    expect(result.controls).toEqual({ held: 0, throttled: 0, inboundHeld: 0 });
    expect(result.controlTrends).toEqual([{ date: '2026-03-10', held: 0, throttled: 0, inboundHeld: 0 }]);
  });

  it('refuses an out-of-range period and an unknown failure id without reading anything else', async () => {
    const { dash } = freshDeps();
    for (const days of [0, 91, 1.5]) {
      const error = await buildDashboard(dash, 't', { days }, NOW).catch((e: unknown) => e);
      expect(isDomainError(error) && error.code).toBe('validation_failed');
    }
    for (const id of ['nope', 'a'.repeat(500), '../x']) {
      const error = await failureDetail(dash, 't', id, 30, NOW).catch((e: unknown) => e);
      expect(isDomainError(error) && error.code).toBe('not_found');
    }
  });
});
