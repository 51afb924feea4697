import { performance } from 'node:perf_hooks';
import { startAzurite } from '../local/azurite';
import { createHaloFake, HALO_FAKE_CREDENTIALS } from '../test/fakes/halopsa';
import { sharedAzuriteEnv, startHostProcess } from '../test/support/host-process';
import { call } from '../test/support/http';
import { INSTANCE_HEAP, rssKiB } from '../test/support/process-memory';

/**
 * Sync benchmark (docs/sync.md, docs/benchmarks.md "Sync"): N Halo tickets (default 100,000) from
 * the fake Halo through a real local host process in pages of 100, on an in-memory Azurite.
 * Reports records per second and the host's RSS (idle, peak, and the growth against the
 * 150 MiB budget), sampled from /proc/<pid>/status while the run goes, then walks the synced
 * tickets through `GET /api/v1/tickets` in pages of 1,000 and reports that listing's seconds.
 *
 *   npm run bench:sync [-- <tickets> <batchSize>]
 *
 * The host runs with the V8 heap Node gives the worker on a 2,048 MB instance (infra's
 * `instanceMemoryMB`; Node sizes the heap from the container's memory, a quarter of it for the
 * old generation), not the heap this machine's RAM would give it: V8 lets garbage pile up to about
 * four times the live heap before a full collection when the heap may grow to gigabytes, and that
 * was the growth this bench used to report (docs/benchmarks.md "Sync").
 * BENCH_HOST_NODE_OPTIONS replaces those options, e.g. `--max-old-space-size=96` to show that the
 * run does not need more (a host that kept a run's records would die out of heap), or an empty
 * value for the machine's default heap.
 */
const BUDGET_MIB = 150;
const SAMPLE_MS = 200;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const tickets = Number(process.argv[2] ?? 100_000);
  const batchSize = Number(process.argv[3] ?? 100);
  const azurite = await startAzurite({});
  const halo = createHaloFake();
  halo.listings.seed('tickets', tickets);
  await halo.start();
  process.env.TEST_STORAGE_CONNECTION = azurite.connectionString;
  const nodeOptions = process.env.BENCH_HOST_NODE_OPTIONS ?? INSTANCE_HEAP;
  const env = sharedAzuriteEnv({
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
  });
  const host = await startHostProcess(env);
  try {
    const key = env.BOOTSTRAP_API_KEY ?? '';
    const api = (method: string, path: string, body?: unknown) =>
      call(host.baseUrl, method, path, { key, ...(body !== undefined ? { body } : {}) });
    const integration = await api('POST', '/api/v1/integrations?skipTest=true', {
      vendor: 'halopsa',
      name: 'Halo (bench)',
      credentials: HALO_FAKE_CREDENTIALS,
      // The fake has no API limit: the budget is raised as a Halo admin raises an instance's.
      config: { baseUrl: halo.baseUrl, requestsPer5Minutes: 10_000 },
    });
    if (integration.status !== 201) throw new Error(`integration: ${integration.text}`);
    await pause(1000);
    const idleKiB = rssKiB(host.child.pid);
    const started = performance.now();
    const run = await api('POST', `/api/v1/integrations/${String(integration.json.id)}/sync`, {
      entities: ['tickets'],
      mode: 'full',
      batchSize,
      filters: { ticketStatus: 'open' },
    });
    if (run.status !== 202) throw new Error(`sync: ${run.text}`);
    // Every fifth generated ticket is closed: the open step holds the rest.
    const expected = tickets - Math.floor(tickets / 5);
    let peakKiB = idleKiB;
    let state: Record<string, unknown> = run.json;
    let polls = 0;
    while (state.status === 'running') {
      await pause(SAMPLE_MS);
      peakKiB = Math.max(peakKiB, rssKiB(host.child.pid));
      if (++polls % 5 === 0) state = (await api('GET', `/api/v1/sync-runs/${String(run.json.id)}`)).json;
    }
    const seconds = (performance.now() - started) / 1000;
    const counts = state.counts as { created: number };
    // The listing phase, as the e2e counts: every synced ticket through GET /api/v1/tickets.
    const listStarted = performance.now();
    let listed = 0;
    let listRequests = 0;
    let cursor: string | null = null;
    do {
      const query: string = `integrationId=${String(integration.json.id)}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api('GET', `/api/v1/tickets?${query}`);
      if (page.status !== 200) throw new Error(`list: ${page.text}`);
      listed += (page.json.items as unknown[]).length;
      listRequests++;
      cursor = (page.json.nextCursor as string | null) ?? null;
    } while (cursor);
    const listSeconds = (performance.now() - listStarted) / 1000;
    const growthMiB = (peakKiB - idleKiB) / 1024;
    console.log(
      JSON.stringify(
        {
          bench: 'sync',
          status: state.status,
          tickets: expected,
          created: counts.created,
          batchSize,
          pages: state.pagesCommitted,
          seconds: Number(seconds.toFixed(1)),
          recordsPerSecond: Math.round(counts.created / seconds),
          listed,
          listRequests,
          listSeconds: Number(listSeconds.toFixed(1)),
          hostRssIdleMiB: Math.round(idleKiB / 1024),
          hostRssPeakMiB: Math.round(peakKiB / 1024),
          hostRssGrowthMiB: Math.round(growthMiB),
          withinBudget: growthMiB <= BUDGET_MIB,
          budgetMiB: BUDGET_MIB,
          hostNodeOptions: nodeOptions || null,
        },
        null,
        2,
      ),
    );
  } finally {
    await host.stop();
    await halo.stop();
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
