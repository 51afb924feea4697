import type { Counters } from '../analytics/counters';
import { periods } from '../dashboard/dashboard';
import { DomainError } from '../errors/domain-error';
import type { AccuracyView } from '../routing/api-schemas';
import { newestFirstTimePrefix } from '../storage/keys';
import type { TableRepository } from '../storage/table-repository';
import { type RunFacts, runDurationMs, runFacts, warningCount } from './metrics-runs';
import { SYNC_METRICS_MAX_DAYS, type SyncMetricsView } from './metrics-schemas';
import type { SyncRunRow } from './tables';

/**
 * Sync metrics over a period of whole UTC days (docs/sync-metrics.md). Runs are read from
 * `syncruns` by RowKey range: a run's id starts with its start instant inverted, so the runs started
 * in a period are one key range of the tenant's partition — no index table and no scan of older runs.
 * The webhook delivery rate comes from the dashboard's day summaries of the same days, routing
 * accuracy from shared/routing; neither reads events.
 */
export interface SyncMetricsDeps {
  runs: Pick<TableRepository<SyncRunRow>, 'iterate'>;
  counters: Pick<Counters, 'daySummaries'>;
  routingAccuracy(tenantId: string, days: number): Promise<AccuracyView>;
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

export type RunTotals = Pick<
  SyncMetricsView,
  | 'runs'
  | 'successRate'
  | 'averageDurationMs'
  | 'records'
  | 'recordsPerSecond'
  | 'dataQualityWarnings'
  | 'errors'
  | 'byVendor'
>;

/** The run-derived part of the metrics (pure, so the test's brute force can be compared with it). */
export function summariseRuns(runs: Iterable<RunFacts>): RunTotals {
  const counts = { total: 0, succeeded: 0, failed: 0, stopped: 0, running: 0 };
  const records = { created: 0, updated: 0, skipped: 0, failed: 0, total: 0 };
  let finished = 0;
  let durationMs = 0;
  let warnings = 0;
  const errors = new Map<string, { vendor: string; code: string; count: number }>();
  const vendors = new Map<string, { vendor: string; runs: number; succeeded: number; failed: number }>();
  for (const run of runs) {
    counts.total++;
    counts[run.status]++;
    const vendor = vendors.get(run.vendor) ?? { vendor: run.vendor, runs: 0, succeeded: 0, failed: 0 };
    vendor.runs++;
    if (run.status === 'succeeded') vendor.succeeded++;
    if (run.status === 'failed') vendor.failed++;
    vendors.set(run.vendor, vendor);
    warnings += warningCount(run.warnings);
    for (const error of run.errors) {
      const key = `${run.vendor}\u0000${error.code}`;
      const row = errors.get(key) ?? { vendor: run.vendor, code: error.code, count: 0 };
      row.count++;
      errors.set(key, row);
    }
    const ms = runDurationMs(run);
    if (ms === undefined) continue;
    finished++;
    durationMs += ms;
    records.created += run.created;
    records.updated += run.updated;
    records.skipped += run.skipped;
    records.failed += run.failed;
  }
  records.total = records.created + records.updated + records.skipped + records.failed;
  return {
    runs: counts,
    successRate: ratio(counts.succeeded, counts.succeeded + counts.failed),
    averageDurationMs: finished === 0 ? null : durationMs / finished,
    records,
    recordsPerSecond: durationMs === 0 ? null : records.total / (durationMs / 1000),
    dataQualityWarnings: warnings,
    errors: [...errors.values()].sort(
      (a, b) => b.count - a.count || a.vendor.localeCompare(b.vendor) || a.code.localeCompare(b.code),
    ),
    byVendor: [...vendors.values()]
      .sort((a, b) => a.vendor.localeCompare(b.vendor))
      .map((v) => ({ ...v, successRate: ratio(v.succeeded, v.succeeded + v.failed) })),
  };
}

/**
 * The runs started in [fromMs, toMs]: newest-first ids put the later instant first, so the range
 * runs from the prefix of `toMs` to just past every id minted at `fromMs`.
 */
export async function* runsStartedBetween(
  deps: Pick<SyncMetricsDeps, 'runs'>,
  tenantId: string,
  fromMs: number,
  toMs: number,
): AsyncGenerator<RunFacts> {
  const range = { rowKeyFrom: newestFirstTimePrefix(toMs), rowKeyTo: `${newestFirstTimePrefix(fromMs)}~` };
  for await (const row of deps.runs.iterate(tenantId, range)) yield runFacts(row.value);
}

/** `GET /api/v1/sync/metrics?days=`: today (UTC) and the days before it, as the dashboard counts them. */
export async function syncMetrics(
  deps: SyncMetricsDeps,
  tenantId: string,
  days: number,
  nowMs: number,
): Promise<SyncMetricsView> {
  if (!Number.isInteger(days) || days < 1 || days > SYNC_METRICS_MAX_DAYS)
    throw new DomainError('validation_failed', `days must be 1 to ${SYNC_METRICS_MAX_DAYS}.`);
  const { current } = periods(nowMs, days);
  const collected: RunFacts[] = [];
  const [, summaries, routing] = await Promise.all([
    (async () => {
      for await (const run of runsStartedBetween(deps, tenantId, current.fromMs, current.toMs)) collected.push(run);
    })(),
    deps.counters.daySummaries(tenantId, current.days),
    deps.routingAccuracy(tenantId, days),
  ]);
  let succeeded = 0;
  let failed = 0;
  for (const day of summaries) {
    succeeded += day.types.inbound_webhook.succeeded;
    failed += day.types.inbound_webhook.failed;
  }
  return {
    days,
    from: new Date(current.fromMs).toISOString(),
    to: new Date(current.toMs).toISOString(),
    ...summariseRuns(collected),
    webhookDelivery: { succeeded, failed, rate: ratio(succeeded, succeeded + failed) },
    routingAccuracy: routing,
  };
}
