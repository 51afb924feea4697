import { spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { startAzurite } from '../../local/azurite';
import { loadLocalSettings } from '../../local/local-settings';
import { services } from '../../shared/app/services';
import { createEvent } from '../../shared/events/event-store';
import { webhookDeps } from '../../shared/inbound/deps';
import { createWebhook } from '../../shared/inbound/webhooks';
import { setLogSink } from '../../shared/observability/logger';
import type { FirstCallReport, FirstCallSpec } from './first-call';
import { appEntries } from './measure';

/**
 * Cold requests (docs/benchmarks.md, "Cold start"): a fresh process loads the app and serves one
 * first invocation — an authenticated API request, a webhook receive, a stage message — against a
 * hello-world app's load plus its first request, each a fresh `node` running
 * bench/cold-start/first-call.js. Capability code loads on first call (docs/decisions.md §38), so
 * load alone no longer tells what a cold instance costs. One in-memory Azurite serves every
 * process; cases alternate so machine noise hits all alike; medians of BENCH_COLD_RUNS (7).
 * Target: each case at most 5× the hello world.
 * With BENCH_COLD_MODULES=1, one more process per case (under V8's coverage, not timed) lists the
 * app's modules by folder and the packages its first call evaluated beyond the load (`all`: and
 * every module by name).
 *
 *   node dist/bench/cold-start/requests.js
 */
const root = resolve(__dirname, '..', '..', '..');
const FIRST_CALL = join(__dirname, 'first-call.js');
const HELLO_WORLD = join(__dirname, 'hello-world-app.js');

function once(spec: FirstCallSpec, files: string[], modules = false): FirstCallReport {
  // BENCH_COLD_PROFILE=<dir>: the listing processes also write a V8 CPU profile there (Node's --cpu-prof).
  const profileDir = modules ? process.env.BENCH_COLD_PROFILE : undefined;
  const node = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const args = [...node, FIRST_CALL, ...(modules ? ['--modules'] : []), JSON.stringify(spec), ...files];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`${spec.function} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout) as FirstCallReport;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** What a first call evaluated: module count by folder, largest first, then the packages. */
function modulesLine(name: string, listed: { modules: string[]; packages: string[] }): string {
  const byFolder = new Map<string, number>();
  for (const m of listed.modules) {
    const folder = /^(shared\/[^/]+|functions)\//.exec(m)?.[1] ?? m;
    byFolder.set(folder, (byFolder.get(folder) ?? 0) + 1);
  }
  const folders = [...byFolder]
    .sort((a, b) => b[1] - a[1])
    .map(([f, n]) => `${f} ${n}`)
    .join(', ');
  const packages = listed.packages.length ? listed.packages.join(', ') : 'none';
  return `${name}: first call evaluated ${listed.modules.length} modules (${folders}); packages: ${packages}`;
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_COLD_RUNS ?? 7);
  Object.assign(process.env, { LOG_LEVEL: 'error', API_RATE_LIMIT_PER_MINUTE: '1000000' });
  loadLocalSettings(root);
  setLogSink(() => undefined);
  const azurite = await startAzurite();
  process.env.DataStorage = azurite.connectionString;
  process.env.AzureWebJobsStorage = azurite.connectionString;
  try {
    const settings = services().settings;
    const tenantId = settings.BOOTSTRAP_TENANT_ID;
    const key = settings.BOOTSTRAP_API_KEY ?? '';
    const hook = await createWebhook(webhookDeps(), { tenantId, keyId: 'bench', scopes: ['admin'] }, {}, 'bench');
    const entries = appEntries(root);
    const body = () =>
      JSON.stringify({
        type: 'ticket.created',
        subject: 'disk_full on SRV01',
        severity: 'high',
        data: { id: randomUUID() },
      });

    const cases: Array<{ name: string; files: string[]; spec: () => Promise<FirstCallSpec> }> = [
      {
        name: 'hello-world app: load + GET',
        files: [HELLO_WORLD],
        spec: async () => ({
          function: 'hello-world',
          http: { method: 'GET', url: 'http://localhost/api/hello-world', headers: {}, params: {} },
        }),
      },
      {
        name: 'this app: load + GET /api/v1/webhooks (API key)',
        files: entries,
        spec: async () => ({
          function: 'webhooks-list',
          http: {
            method: 'GET',
            url: 'http://localhost/api/v1/webhooks',
            headers: { authorization: `Bearer ${key}` },
            params: {},
          },
        }),
      },
      {
        name: 'this app: load + POST /api/hooks/{id} (signed)',
        files: entries,
        spec: async () => {
          const text = body();
          return {
            function: 'hooks-receive',
            http: {
              method: 'POST',
              url: `http://localhost/api/hooks/${hook.id}`,
              headers: {
                'content-type': 'application/json',
                'x-webhook-signature': `sha256=${createHmac('sha256', hook.secret).update(text).digest('hex')}`,
                'x-webhook-id': randomUUID(),
              },
              params: { webhookId: hook.id },
              body: text,
            },
          };
        },
      },
      {
        name: 'this app: load + validation stage message',
        files: entries,
        spec: async () => {
          const { view } = await createEvent({
            tenantId,
            source: hook.source,
            webhookId: hook.id,
            integrationId: null,
            trigger: 'vendor',
            replayOf: null,
            correlationId: randomUUID(),
            dedupKey: null,
            bodyText: body(),
          });
          const message = { v: 1, tenantId, eventId: view.id, stage: 'validation', step: 'main', attempt: 0 };
          return {
            function: 'pipeline-validation',
            queue: { body: message, messageId: `${view.id}:validation:main:0` },
          };
        },
      },
    ];

    // One unmeasured round: Azurite's own first requests (table creation) are not the app's.
    for (const c of cases) once(await c.spec(), c.files);
    const samples = new Map<string, FirstCallReport[]>(cases.map((c) => [c.name, []]));
    for (let i = 0; i < runs; i++) {
      for (const c of cases) samples.get(c.name)?.push(once(await c.spec(), c.files));
    }
    const summary = cases.map((c) => {
      const mine = samples.get(c.name) ?? [];
      return {
        name: c.name,
        loadMs: median(mine.map((r) => r.loadMs)),
        callMs: median(mine.map((r) => r.callMs)),
        warmMs: median(mine.map((r) => r.warmCallMs)),
        totalMs: median(mine.map((r) => r.totalMs)),
        cpuMs: median(mine.map((r) => r.cpuMs)),
        answers: [...new Set(mine.map((r) => r.answer))].join(', '),
      };
    });
    const hello = summary[0];
    if (!hello) throw new Error('no hello-world samples');
    process.stdout.write(
      [
        `cold requests: median of ${runs} fresh processes per case (load + first invocation)`,
        '| case | load ms | first call ms | same call again ms | total ms | cpu ms | answer | total / hello world | cpu / hello world |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...summary.map(
          (s) =>
            `| ${s.name} | ${s.loadMs.toFixed(1)} | ${s.callMs.toFixed(1)} | ${s.warmMs.toFixed(1)} | ${s.totalMs.toFixed(1)} | ${s.cpuMs.toFixed(1)} | ${s.answers} | ${(s.totalMs / hello.totalMs).toFixed(1)}x | ${(s.cpuMs / hello.cpuMs).toFixed(1)}x |`,
        ),
        'target: each case at most 5x the hello world (total)',
        '',
      ].join('\n'),
    );
    const listing = process.env.BENCH_COLD_MODULES;
    if (listing === '1' || listing === 'all') {
      for (const c of cases.slice(1)) {
        const listed = once(await c.spec(), c.files, true).firstCall;
        if (listed) process.stdout.write(`${modulesLine(c.name, listed)}\n`);
        if (listed && listing === 'all') process.stdout.write(`${listed.modules.map((m) => `  ${m}`).join('\n')}\n`);
      }
    }
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
