import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { startLocalHost } from '../local/host';
import { loadLocalSettings } from '../local/local-settings';
import { checkHealthz } from '../shared/api/healthz';
import { services } from '../shared/app/services';
import { setLogSink } from '../shared/observability/logger';
import { formatColdStart, measureColdStart } from './cold-start/measure';
import { benchProbes, formatProbeBench } from './probes';

/**
 * `npm run bench`: foundation benchmarks, each reported as a ratio against a baseline measured in
 * the same run on the same machine (absolute numbers vary between machines; ratios travel).
 *
 *  1. local host routing overhead: GET /api/healthz through the host vs. a bare node:http server
 *     doing the same storage round trip.
 *  2. authenticated API cost: GET /api/v1/api-keys (auth + rate limit + list) vs. /api/healthz.
 *  3. cold start: loading the function entries through the registry shim vs. a hello-world app
 *     (bench/cold-start/measure.ts), first, before the host and Azurite load the machine.
 *  4. probe tick: 500 integrations over the eight fake vendors, one timing out, fanned out and
 *     probed in-process (bench/probes.ts), against the ideal and a plain probe loop.
 */
interface Result {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
}

async function measure(
  name: string,
  url: string,
  headers: Record<string, string>,
  total: number,
  concurrency: number,
): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t0 = performance.now();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        if (res.status >= 400) throw new Error(`${name}: ${res.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    requestsPerSecond: total / seconds,
    p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    p95Ms: latencies[Math.floor(latencies.length * 0.95)] ?? 0,
  };
}

async function main(): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  const coldStart = measureColdStart(root, Number(process.env.BENCH_COLD_RUNS ?? 15));
  Object.assign(process.env, {
    LOCAL_AZURITE: 'memory',
    LOCAL_AZURITE_BLOB_PORT: '0',
    LOCAL_AZURITE_QUEUE_PORT: '0',
    LOCAL_AZURITE_TABLE_PORT: '0',
    LOCAL_HTTP_PORT: '0',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: 'error',
  });
  loadLocalSettings(root);
  const restoreLog = setLogSink(() => undefined);
  const host = await startLocalHost(root);
  const key = host.settings.BOOTSTRAP_API_KEY ?? '';
  const bare = createServer((_req, res) => {
    void checkHealthz(services().account).then((h) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(h));
    });
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  const barePort = (bare.address() as AddressInfo).port;
  const total = Number(process.env.BENCH_REQUESTS ?? 2000);
  const concurrency = 16;
  try {
    // Warm both servers (JIT, keep-alive pools, table creation) before anything is measured.
    await measure('warm-up', `${host.http.baseUrl}/api/healthz`, {}, 300, concurrency);
    await measure('warm-up', `http://127.0.0.1:${barePort}/healthz`, {}, 300, concurrency);
    await measure(
      'warm-up',
      `${host.http.baseUrl}/api/v1/api-keys?limit=10`,
      { authorization: `Bearer ${key}` },
      100,
      concurrency,
    );
    const baseline = await measure(
      'bare node:http + storage check',
      `http://127.0.0.1:${barePort}/healthz`,
      {},
      total,
      concurrency,
    );
    const healthz = await measure(
      'local host GET /api/healthz',
      `${host.http.baseUrl}/api/healthz`,
      {},
      total,
      concurrency,
    );
    const authed = await measure(
      'local host GET /api/v1/api-keys (auth + rate limit)',
      `${host.http.baseUrl}/api/v1/api-keys?limit=10`,
      { authorization: `Bearer ${key}` },
      total,
      concurrency,
    );
    const rows = [baseline, healthz, authed].map(
      (r) =>
        `| ${r.name} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50Ms.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${(r.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)} |`,
    );
    process.stdout.write(
      [
        `requests: ${total}, concurrency: ${concurrency}`,
        '| case | req/s | p50 ms | p95 ms | throughput vs. baseline |',
        '| --- | --- | --- | --- | --- |',
        ...rows,
        `host overhead ratio (healthz / bare): ${(healthz.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)}`,
        `auth cost ratio (api-keys list / healthz): ${(authed.requestsPerSecond / healthz.requestsPerSecond).toFixed(2)}`,
        '',
        formatColdStart(coldStart),
        '',
      ].join('\n'),
    );
    const probes = await benchProbes({
      integrations: Number(process.env.BENCH_PROBE_INTEGRATIONS ?? 500),
      concurrency: Number(process.env.BENCH_PROBE_CONCURRENCY ?? 16),
      slowVendor: 'datto-edr',
    });
    process.stdout.write(`\n${formatProbeBench(probes)}\n`);
  } finally {
    bare.close();
    await host.stop();
    restoreLog();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String(error)}\n`);
  process.exit(1);
});
