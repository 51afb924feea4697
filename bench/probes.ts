import { randomBytes } from 'node:crypto';
import { Counters } from '../shared/analytics/counters';
import { counterTables } from '../shared/analytics/tables';
import type { Principal } from '../shared/apikeys/principal';
import { services } from '../shared/app/services';
import { auditTable } from '../shared/audit/audit-log';
import type { BusSender, ReceivedMessage } from '../shared/bus/port';
import { StorageQueueBus } from '../shared/bus/storage-queue-bus';
import type { IntegrationDeps } from '../shared/integrations/deps';
import { createIntegration } from '../shared/integrations/integrations';
import { probeOnce } from '../shared/integrations/probe-once';
import { defaultPointerSchema, indexEntrySchema, integrationRecordSchema } from '../shared/integrations/tables';
import { networkPolicyFromSettings } from '../shared/net/guard';
import { createLogger } from '../shared/observability/logger';
import { fanOutProbes } from '../shared/probes/fan-out';
import { PROBE_QUEUE, type ProbeMessage } from '../shared/probes/probe-message';
import { handleProbeMessage, type ProbeDeps } from '../shared/probes/run-probe';
import { PROBE_TIMEOUT_MS } from '../shared/probes/schedule';
import { probeHistorySchema, probeStatusSchema } from '../shared/probes/tables';
import { TimeoutBreaker } from '../shared/probes/timeout-breaker';
import { TableRepository } from '../shared/storage/table-repository';
import { VENDOR_IDS, type VendorId } from '../shared/vendors/contract';
import { createVendorHttp } from '../shared/vendors/core/vendor-http';
import { connectors } from '../shared/vendors/registry';
import { FAKE_CREDENTIALS, fakeConfig, startAllFakes } from '../test/fakes/core/all-fakes';

/**
 * Probe fan-out benchmark (docs/design.md §7): N integrations spread over the eight fake vendors, one of
 * which never answers, probed in one timer tick — the real fan-out onto the emulated bus, the real
 * probe handler on a consumer with bounded concurrency, Azurite for every table. Reported against
 * two baselines from the same run:
 *  - the ideal for isolation: every healthy probe done within one slow probe's timeout;
 *  - plain probes: the same healthy probes sent by a bare loop (connector + HTTP port, no bus, no
 *    storage) at the same concurrency, for what the hub's bookkeeping costs per probe.
 */
export interface ProbeBenchOptions {
  integrations: number;
  /** Probe messages handled at once (host.json maxConcurrentCalls is 16). */
  concurrency: number;
  slowVendor: VendorId;
}

interface TickResult {
  fanOutSeconds: number;
  tickSeconds: number;
  healthyDoneSeconds: number;
  firstDone: Map<string, number>;
  deferred: number;
  stop(): Promise<void>;
}

export interface ProbeBenchResult {
  options: ProbeBenchOptions;
  setupSeconds: number;
  fanOutSeconds: number;
  /** The same tick with every vendor answering: the hub's own pace. */
  cleanTickSeconds: number;
  /** Until every healthy integration has a verdict. */
  healthyDoneSeconds: number;
  /** Until every integration's first attempt has finished (the slow ones with a retry planned). */
  tickSeconds: number;
  healthy: number;
  slow: number;
  /** First attempts (both ticks) refused by the hub's per-account budget, retry planned. */
  budgetDeferred: number;
  /** All vendors answering: integrations / clean tick seconds. */
  hubProbesPerSecond: number;
  plainProbesPerSecond: number;
}

function tables(tag: string) {
  const account = services().account;
  const integrations: IntegrationDeps = {
    tables: {
      integrations: new TableRepository(account, `benchintegrations${tag}`, integrationRecordSchema),
      defaults: new TableRepository(account, `benchdefaults${tag}`, defaultPointerSchema),
      index: new TableRepository(account, `benchindex${tag}`, indexEntrySchema),
    },
    audit: auditTable(account),
  };
  const health = {
    status: new TableRepository(account, `benchprobestatus${tag}`, probeStatusSchema),
    history: new TableRepository(account, `benchprobes${tag}`, probeHistorySchema),
  };
  return { account, integrations, health };
}

async function inBatches<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        await work(item);
      }
    }),
  );
}

export async function benchProbes(options: ProbeBenchOptions): Promise<ProbeBenchResult> {
  const tag = randomBytes(3).toString('hex');
  const { account, integrations, health } = tables(tag);
  const fakes = await startAllFakes();
  const quiet = createLogger();
  try {
    // 1. N integrations over the eight vendors, in 10 tenants.
    const setupStarted = performance.now();
    const planned = Array.from({ length: options.integrations }, (_, i) => ({
      vendor: VENDOR_IDS[i % VENDOR_IDS.length]!,
      caller: { tenantId: `bench-${tag}-${i % 10}`, keyId: 'bench', scopes: ['admin'] } satisfies Principal,
      i,
    }));
    const vendorOf = new Map<string, VendorId>();
    await inBatches(planned, 16, async ({ vendor, caller, i }) => {
      const created = await createIntegration(
        integrations,
        caller,
        {
          vendor,
          name: `${vendor} ${i}`,
          credentials: FAKE_CREDENTIALS[vendor],
          config: fakeConfig(vendor, fakes.baseUrls[vendor]),
        },
        { skipTest: true, correlationId: `bench-${i}` },
      );
      vendorOf.set(created.id, vendor);
    });
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    // 2. Baseline: the healthy probes by a bare loop, no bus and no storage.
    const policy = networkPolicyFromSettings(services().settings);
    const healthyPlans = planned.filter((p) => p.vendor !== options.slowVendor);
    const plainStarted = performance.now();
    await inBatches(healthyPlans, options.concurrency, async ({ vendor, i }) => {
      const connector = connectors[vendor];
      await probeOnce(connector, {
        tenantId: 'plain',
        integrationId: `plain-${tag}-${i}`,
        credentials: connector.credentialsSchema.parse(FAKE_CREDENTIALS[vendor]),
        config: connector.configSchema.parse(fakeConfig(vendor, fakes.baseUrls[vendor])),
        http: createVendorHttp({ vendor, policy, timeoutMs: PROBE_TIMEOUT_MS }),
        correlationId: `plain-${i}`,
      });
    });
    const plainSeconds = (performance.now() - plainStarted) / 1000;

    // 3. Two ticks over the same integrations: all vendors answering (the hub's own pace), then
    //    with the slow vendor hanging. Each tick has its own queue, so its messages are its own.
    const counters = new Counters(counterTables(account));
    const runTick = async (label: string): Promise<TickResult> => {
      const bus = new StorageQueueBus(account, { lockDurationSeconds: 60 });
      const queue = `bench-${tag}-${label}-${PROBE_QUEUE}`;
      const sender: BusSender = { send: (_q, body, o) => bus.send(queue, body, o) };
      const deps: ProbeDeps = {
        health,
        integrations,
        counters,
        bus: sender,
        tenantIsActive: async () => true,
        log: quiet,
        breaker: new TimeoutBreaker(),
      };
      const firstDone = new Map<string, number>();
      let deferred = 0;
      let resolveAll: () => void = () => undefined;
      const allDone = new Promise<void>((r) => {
        resolveAll = r;
      });
      const started = performance.now();
      const consumer = bus.startConsumer(
        queue,
        async (message: ReceivedMessage) => {
          const body = message.body as ProbeMessage;
          const settlement = await handleProbeMessage(deps, message);
          if (body.attempt === 0 && !firstDone.has(body.integrationId)) {
            firstDone.set(body.integrationId, performance.now());
            const row = await health.status.get(body.tenantId, body.integrationId);
            if (row?.value.reason === 'rate_limited') deferred++;
            if (firstDone.size === vendorOf.size) resolveAll();
          }
          return settlement;
        },
        { concurrency: options.concurrency, pollIntervalMs: 20, maxPollIntervalMs: 100 },
      );
      const fanOut = await fanOutProbes({ integrations, bus: sender, tenantIsActive: async () => true, log: quiet });
      const fanOutSeconds = (performance.now() - started) / 1000;
      if (fanOut.sent !== vendorOf.size) throw new Error(`fan-out sent ${fanOut.sent} of ${vendorOf.size}`);
      await allDone;
      const tickSeconds = (performance.now() - started) / 1000;
      return {
        fanOutSeconds,
        tickSeconds,
        firstDone,
        deferred,
        stop: () => consumer.stop(),
        healthyDoneSeconds: (() => {
          let last = started;
          for (const [id, at] of firstDone) if (vendorOf.get(id) !== options.slowVendor) last = Math.max(last, at);
          return (last - started) / 1000;
        })(),
      };
    };
    const clean = await runTick('clean');
    await clean.stop();
    fakes.servers[options.slowVendor].injectFault({ kind: 'timeout' });
    const slow = await runTick('slow');
    // Unblock the hung requests (and the retries they planned) so the consumer can stop.
    await fakes.stop();
    await slow.stop();

    const healthy = healthyPlans.length;
    return {
      options,
      setupSeconds,
      fanOutSeconds: slow.fanOutSeconds,
      cleanTickSeconds: clean.tickSeconds,
      healthyDoneSeconds: slow.healthyDoneSeconds,
      tickSeconds: slow.tickSeconds,
      healthy,
      slow: vendorOf.size - healthy,
      budgetDeferred: clean.deferred + slow.deferred,
      hubProbesPerSecond: vendorOf.size / clean.tickSeconds,
      plainProbesPerSecond: healthy / plainSeconds,
    };
  } finally {
    await fakes.stop();
  }
}

export function formatProbeBench(r: ProbeBenchResult): string {
  const o = r.options;
  const timeout = PROBE_TIMEOUT_MS / 1000;
  return [
    `probe tick: ${o.integrations} integrations over 8 fake vendors, consumer concurrency ${o.concurrency}; in the second tick ${o.slowVendor} never answers (${r.slow} probes, ${timeout} s timeout)`,
    '| measure | value |',
    '| --- | --- |',
    `| setup (create ${o.integrations} integrations, skipTest) | ${r.setupSeconds.toFixed(1)} s |`,
    `| clean tick: every probe settled (all vendors answer) | ${r.cleanTickSeconds.toFixed(1)} s |`,
    `| slow tick: fan-out (${o.integrations} messages sent) | ${r.fanOutSeconds.toFixed(2)} s |`,
    `| slow tick: the ${r.healthy} healthy probes, first attempt done | ${r.healthyDoneSeconds.toFixed(1)} s |`,
    `| slow tick: wall time (every first attempt done) | ${r.tickSeconds.toFixed(1)} s |`,
    `| first attempts refused by the per-account budget (retry planned) | ${r.budgetDeferred} |`,
    `| hub probes/s (clean tick) | ${r.hubProbesPerSecond.toFixed(1)} |`,
    `| plain-loop probes/s (healthy probes, no bus/storage) | ${r.plainProbesPerSecond.toFixed(1)} |`,
    `slow-vendor delay ratio ((healthy done in slow tick - clean tick) / one timeout; ideal <= 1): ${((r.healthyDoneSeconds - r.cleanTickSeconds) / timeout).toFixed(2)}`,
    `hub cost ratio (hub probes/s / plain probes/s): ${(r.hubProbesPerSecond / r.plainProbesPerSecond).toFixed(3)}`,
  ].join('\n');
}
