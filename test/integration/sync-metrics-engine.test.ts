import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processCounters } from '../../shared/analytics/deps';
import { installClock, ManualClock } from '../../shared/clock/index';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration } from '../../shared/integrations/integrations';
import { flushTelemetry, shutdownTelemetry, useTelemetryExporters } from '../../shared/observability/telemetry';
import { EVENT_NAMES, METRIC_NAMES } from '../../shared/observability/telemetry-names';
import { timeBucket } from '../../shared/storage/keys';
import { handleSyncPage } from '../../shared/sync/engine';
import { getSyncRun, type SyncDeps, startSync } from '../../shared/sync/runs';
import { createHaloFake, HALO_FAKE_CREDENTIALS, type HaloFakeServer } from '../fakes/halopsa';
import { installLocalSettings } from '../support/local-settings';
import { type RecordingBus, syncSetup } from '../support/sync-harness';

/**
 * What the engine reports for metrics (docs/sync-metrics.md): each vendor page read counted as a
 * `prebuilt_integration` transaction, and each finished run as one `hub_sync_run` measurement and
 * one `hub event sync run finished` event carrying ids and numbers only. Fake Halo over loopback,
 * the suite's Azurite, in-memory exporters; the test delivers the page messages itself.
 */

const spans = new InMemorySpanExporter();
const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const clock = new ManualClock(Date.UTC(2026, 6, 1, 9));
let halo: HaloFakeServer;
let restoreClock: (() => void) | undefined;

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  halo = createHaloFake();
  await halo.start();
  await useTelemetryExporters({ spans, metrics });
});

afterAll(async () => {
  await useTelemetryExporters();
  await shutdownTelemetry();
  restoreClock?.();
  await halo.stop();
});

async function drain(deps: SyncDeps, bus: RecordingBus): Promise<number> {
  let delivered = 0;
  for (let next = bus.take(); next; next = bus.take()) {
    clock.advance(1500);
    await handleSyncPage(deps, next);
    delivered++;
  }
  return delivered;
}

const BODY = {
  entities: ['clients' as const],
  mode: 'full' as const,
  batchSize: 10,
  filters: { ticketStatus: 'all' as const, includeInactive: true },
  schedule: false,
  debug: false,
};

describe('sync metrics from the engine', () => {
  it('counts each page read as a prebuilt_integration transaction and reports each finished run once', async () => {
    halo.listings.seed('clients', 25);
    halo.listings.flaw('clients', 2, { name: null });
    const { caller, bus, deps } = syncSetup();
    const { id: integrationId } = await createIntegration(
      integrationDeps(),
      caller,
      { vendor: 'halopsa', name: 'Halo', credentials: { ...HALO_FAKE_CREDENTIALS }, config: { baseUrl: halo.baseUrl } },
      { skipTest: true, correlationId: 'setup' },
    );
    spans.reset();

    const ok = await startSync(deps, caller, integrationId, BODY, { correlationId: 'm1' });
    const pages = await drain(deps, bus);
    const done = await getSyncRun(deps, caller, ok.id);
    expect(done.status).toBe('succeeded');

    // A second run the vendor refuses (401): one failed read, the run fails.
    const refused = await startSync(deps, caller, integrationId, BODY, { correlationId: 'm2' });
    halo.injectFault({ kind: 'status', status: 401, body: { message: 'no' } }, { path: '/api/Client', times: 1 });
    await drain(deps, bus);
    expect((await getSyncRun(deps, caller, refused.id)).status).toBe('failed');

    const day = timeBucket(clock.now(), 'day');
    const [summary] = await processCounters().daySummaries(caller.tenantId, [day]);
    expect(summary?.types.prebuilt_integration).toMatchObject({ succeeded: pages, failed: 1 });

    await flushTelemetry();
    const events = spans.getFinishedSpans().filter((s) => s.name === EVENT_NAMES.syncRunFinished);
    expect(events.map((e) => e.attributes)).toEqual([
      {
        tenantId: caller.tenantId,
        integrationId,
        syncRunId: ok.id,
        vendor: 'halopsa',
        entity: 'clients',
        outcome: 'succeeded',
        durationMs: Date.parse(done.finishedAt!) - Date.parse(done.startedAt),
        records: 25,
        warnings: 1,
      },
      expect.objectContaining({ syncRunId: refused.id, outcome: 'failed', code: 'vendor_error', records: 0 }),
    ]);
    const secretText = Object.values(HALO_FAKE_CREDENTIALS).map(String);
    for (const event of events)
      for (const value of Object.values(event.attributes))
        for (const secret of secretText) expect(String(value)).not.toContain(secret);

    const histogram = metrics
      .getMetrics()
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      .filter((m) => m.descriptor.name === METRIC_NAMES.syncRun)
      .flatMap((m) => m.dataPoints as DataPoint<Histogram>[])
      .filter((p) => p.attributes.tenantId === caller.tenantId);
    expect(histogram.map((p) => [p.attributes.outcome, p.value.count]).sort()).toEqual([
      ['failed', 1],
      ['succeeded', 1],
    ]);
  });
});
