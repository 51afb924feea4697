import { afterEach, describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { FailureGroups } from '../../shared/analytics/failure-groups';
import {
  type CounterTables,
  counterRowSchema,
  counterSummaryRowSchema,
  failureGroupRowSchema,
} from '../../shared/analytics/tables';
import { countTransaction } from '../../shared/analytics/transactions';
import { installClock, ManualClock } from '../../shared/clock';
import { isDomainError } from '../../shared/errors/domain-error';
import { routingAccuracy } from '../../shared/routing/accuracy';
import type { RoutingDeps } from '../../shared/routing/config';
import { decisionRowSchema, routingErrorRowSchema, routingTables } from '../../shared/routing/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { newestFirstId } from '../../shared/storage/keys';
import { TableRepository } from '../../shared/storage/table-repository';
import { type SyncMetricsDeps, syncMetrics } from '../../shared/sync/metrics';
import { syncMetricsSchema } from '../../shared/sync/metrics-schemas';
import { type SyncRunRow, syncRunRowSchema } from '../../shared/sync/tables';

/**
 * GET /api/v1/sync/metrics's numbers against a brute-force count over the runs, webhook
 * transactions and routing decisions the test itself writes, on the virtual clock, with runs on
 * either side of the period's first midnight and at its last instant.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
let seq = 0;
const name = (tag: string) => `syncm${tag}${process.pid}${Date.now().toString(36)}${seq++}`;

const DAY = 86_400_000;
const TODAY = Date.UTC(2026, 4, 20);
const NOW = TODAY + 15 * 3_600_000;
const DAYS = 3;
const FROM = TODAY - (DAYS - 1) * DAY;
const TENANT = 'tenant-sync-metrics';

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

const STATUSES = ['succeeded', 'succeeded', 'failed', 'stopped', 'running'] as const;
const VENDOR_IDS = ['halopsa', 'autotask'];
const CODES = ['vendor_error', 'service_unavailable', 'internal_error'];

function runAt(startMs: number, rnd: () => number, forced?: SyncRunRow['status']): SyncRunRow {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const status = forced ?? pick(STATUSES);
  const started = new Date(startMs).toISOString();
  const finished = new Date(startMs + 1000 + Math.floor(rnd() * 600_000)).toISOString();
  const errors = Array.from({ length: status === 'failed' ? 1 + Math.floor(rnd() * 3) : 0 }, () => ({
    code: pick(CODES),
    message: 'it failed',
    entity: 'tickets',
    at: finished,
  }));
  const warnings =
    rnd() < 0.5
      ? []
      : [
          {
            entity: 'tickets',
            kind: 'null_value',
            field: 'summary',
            count: 1 + Math.floor(rnd() * 9),
            examples: ['1'],
          },
        ];
  return {
    integrationId: pick(['int-a', 'int-b']),
    vendor: pick(VENDOR_IDS),
    entities: '["tickets"]',
    mode: 'full',
    batchSize: 100,
    filters: '{}',
    steps: '[{"entity":"tickets"}]',
    status,
    stopRequested: status === 'stopped',
    debug: false,
    stepIndex: 0,
    cursor: '',
    pagesCommitted: 1,
    created: Math.floor(rnd() * 500),
    updated: Math.floor(rnd() * 50),
    skipped: Math.floor(rnd() * 50),
    failed: Math.floor(rnd() * 5),
    errors: JSON.stringify(errors),
    warnings: JSON.stringify(warnings),
    newestSeen: '{}',
    since: '{}',
    startedAt: started,
    updatedAt: status === 'running' ? started : finished,
    ...(status === 'running' ? {} : { finishedAt: finished }),
    correlationId: 'c',
  };
}

let restore: (() => void) | undefined;
afterEach(() => restore?.());

describe('sync metrics (Azurite, virtual clock)', () => {
  it('equal a brute-force count over the runs, webhook transactions and routing decisions created', async () => {
    const clock = new ManualClock(NOW);
    restore = installClock(clock);
    const rnd = prng(74);
    const runs = new TableRepository(account, name('r'), syncRunRowSchema);
    const counterTables: CounterTables = {
      daily: new TableRepository(account, name('d'), counterRowSchema),
      hourly: new TableRepository(account, name('h'), counterRowSchema),
      summaries: new TableRepository(account, name('s'), counterSummaryRowSchema),
    };
    const counters = new Counters(counterTables);
    const groups = new FailureGroups(new TableRepository(account, name('g'), failureGroupRowSchema));
    const routing: RoutingDeps = {
      tables: {
        ...routingTables(account),
        decisions: new TableRepository(account, name('rd'), decisionRowSchema),
        errors: new TableRepository(account, name('re'), routingErrorRowSchema),
      },
      audit: undefined as never,
    };

    // Runs from two days before the period to now, and on each side of its first midnight.
    const made: Array<{ at: number; row: SyncRunRow }> = [];
    for (let i = 0; i < 60; i++) {
      const at = FROM - 2 * DAY + Math.floor(rnd() * (NOW - (FROM - 2 * DAY)));
      made.push({ at, row: runAt(at, rnd) });
    }
    for (const at of [FROM - 1, FROM, FROM + 1, NOW]) made.push({ at, row: runAt(at, rnd, 'failed') });
    for (const at of [FROM - 1, FROM, NOW]) made.push({ at, row: runAt(at, rnd, 'succeeded') });
    // A run started after "now" (another instance's clock ahead) is not in the period.
    made.push({ at: NOW + 5, row: runAt(NOW + 5, rnd, 'succeeded') });
    for (const { at, row } of made) await runs.insert(TENANT, newestFirstId(at), row);

    // Inbound webhook transactions either side of the first midnight, and other types that do not count.
    const webhookTimes: Array<{ at: number; ok: boolean }> = [];
    for (let i = 0; i < 30; i++)
      webhookTimes.push({ at: FROM - DAY + Math.floor(rnd() * (NOW - FROM + DAY)), ok: rnd() < 0.7 });
    webhookTimes.push({ at: FROM - 1, ok: false }, { at: FROM, ok: true });
    for (const { at, ok } of webhookTimes) {
      clock.set(at);
      await countTransaction(
        { counters, groups },
        { tenantId: TENANT, type: 'inbound_webhook', integrationId: 'wh-1', ok, code: ok ? '-' : '500' },
      );
      await countTransaction(
        { counters, groups },
        { tenantId: TENANT, type: 'prebuilt_integration', integrationId: 'int-a', ok: !ok, code: ok ? '503' : '-' },
      );
    }

    // Routing: three decided tickets in the window, one overridden; one decided long before.
    const decided = (ticketId: string, at: number, overridden: boolean) => ({
      vendor: 'halopsa',
      ticketId,
      integrationId: 'int-a',
      teamId: 't1',
      by: 'rule' as const,
      ruleId: 'r1',
      decidedAt: new Date(at).toISOString(),
      routedTeamId: 't1',
      routedBy: 'rule' as const,
      routedRuleId: 'r1',
      routedAt: new Date(at).toISOString(),
      overridden,
      reassignments: overridden ? 1 : 0,
      source: 'sync' as const,
      subject: null,
    });
    await routing.tables.decisions.insert(TENANT, 'halopsa|1', decided('1', NOW - DAY, false));
    await routing.tables.decisions.insert(TENANT, 'halopsa|2', decided('2', NOW - 2 * DAY, true));
    await routing.tables.decisions.insert(TENANT, 'halopsa|3', decided('3', NOW - 3_600_000, false));
    await routing.tables.decisions.insert(TENANT, 'halopsa|4', decided('4', NOW - 30 * DAY, true));

    clock.set(NOW);
    const deps: SyncMetricsDeps = {
      runs,
      counters,
      routingAccuracy: (tenantId, days) => routingAccuracy(routing, tenantId, days),
    };
    const got = syncMetricsSchema.parse(await syncMetrics(deps, TENANT, DAYS, NOW));

    // Brute force, written out again rather than calling the code under test.
    const inPeriod = made.filter(({ at }) => at >= FROM && at <= NOW).map(({ row }) => row);
    expect(inPeriod.length).toBeGreaterThan(10);
    const by = (s: string) => inPeriod.filter((r) => r.status === s).length;
    expect(got.runs).toEqual({
      total: inPeriod.length,
      succeeded: by('succeeded'),
      failed: by('failed'),
      stopped: by('stopped'),
      running: by('running'),
    });
    expect(got.successRate).toBeCloseTo(by('succeeded') / (by('succeeded') + by('failed')), 12);
    const finished = inPeriod.filter((r) => r.status !== 'running');
    const durations = finished.map((r) => Date.parse(r.finishedAt!) - Date.parse(r.startedAt));
    const seconds = durations.reduce((a, b) => a + b, 0) / 1000;
    expect(got.averageDurationMs).toBeCloseTo((seconds * 1000) / finished.length, 6);
    const total = finished.reduce((a, r) => a + r.created + r.updated + r.skipped + r.failed, 0);
    expect(got.records.total).toBe(total);
    expect(got.records.created).toBe(finished.reduce((a, r) => a + r.created, 0));
    expect(got.recordsPerSecond).toBeCloseTo(total / seconds, 9);
    expect(got.dataQualityWarnings).toBe(
      inPeriod.reduce(
        (a, r) => a + (JSON.parse(r.warnings) as Array<{ count: number }>).reduce((b, w) => b + w.count, 0),
        0,
      ),
    );
    const errorCounts: Record<string, number> = {};
    for (const r of inPeriod)
      for (const e of JSON.parse(r.errors) as Array<{ code: string }>) {
        const key = `${r.vendor}/${e.code}`;
        errorCounts[key] = (errorCounts[key] ?? 0) + 1;
      }
    expect(Object.fromEntries(got.errors.map((e) => [`${e.vendor}/${e.code}`, e.count]))).toEqual(errorCounts);
    for (let i = 1; i < got.errors.length; i++)
      expect(got.errors[i - 1]!.count).toBeGreaterThanOrEqual(got.errors[i]!.count);
    for (const v of got.byVendor) {
      const mine = inPeriod.filter((r) => r.vendor === v.vendor);
      expect(v.runs).toBe(mine.length);
      expect(v.succeeded).toBe(mine.filter((r) => r.status === 'succeeded').length);
      expect(v.failed).toBe(mine.filter((r) => r.status === 'failed').length);
    }
    expect(got.byVendor.reduce((a, v) => a + v.runs, 0)).toBe(inPeriod.length);

    const hooks = webhookTimes.filter(({ at }) => at >= FROM && at <= NOW);
    const ok = hooks.filter((h) => h.ok).length;
    expect(got.webhookDelivery).toEqual({ succeeded: ok, failed: hooks.length - ok, rate: ok / hooks.length });

    expect(got.routingAccuracy).toMatchObject({ routed: 3, overridden: 1, accuracy: 2 / 3 });
    expect(got.from).toBe(new Date(FROM).toISOString());
    expect(got.to).toBe(new Date(NOW).toISOString());
  });

  it('is empty and null-rated for a tenant with nothing, and refuses days outside 1-90', async () => {
    restore = installClock(new ManualClock(NOW));
    const deps: SyncMetricsDeps = {
      runs: new TableRepository(account, name('r'), syncRunRowSchema),
      counters: new Counters({
        daily: new TableRepository(account, name('d'), counterRowSchema),
        hourly: new TableRepository(account, name('h'), counterRowSchema),
        summaries: new TableRepository(account, name('s'), counterSummaryRowSchema),
      }),
      routingAccuracy: async (_tenantId, days) => ({
        days,
        from: '',
        to: '',
        routed: 0,
        overridden: 0,
        accuracy: null,
        byMethod: {
          client_link: { routed: 0, overridden: 0 },
          rule: { routed: 0, overridden: 0 },
          default: { routed: 0, overridden: 0 },
        },
      }),
    };
    const got = await syncMetrics(deps, 'tenant-empty', 1, NOW);
    expect(got.runs.total).toBe(0);
    expect(got.successRate).toBeNull();
    expect(got.averageDurationMs).toBeNull();
    expect(got.recordsPerSecond).toBeNull();
    expect(got.webhookDelivery.rate).toBeNull();
    expect(got.errors).toEqual([]);
    for (const days of [0, 91, 1.5]) {
      const refused = await syncMetrics(deps, 'tenant-empty', days, NOW).catch((e: unknown) => e);
      expect(isDomainError(refused) && refused.code).toBe('validation_failed');
    }
  });
});
