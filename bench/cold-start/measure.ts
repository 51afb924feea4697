import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expandMainGlob } from '../../local/host';
import type { LoadReport } from './load-once';

/**
 * Cold start: how long the worker takes to load this app's function entries, against a
 * hello-world Functions app measured in the same run. Each sample is a fresh `node` process (a
 * warm module cache would measure nothing); app and hello world alternate so machine noise hits
 * both alike, and the median of each is reported. Target: at most 5× the hello world, and flat
 * as capabilities are added (docs/benchmarks.md).
 */
export interface ColdStartResult {
  runs: number;
  helloWorld: LoadReport;
  app: LoadReport;
  ratio: number;
  /** Median CPU time of the app's load over the hello world's: steadier than wall time on a busy machine. */
  cpuRatio: number;
  /** One more load of the app under the profiler: where its time goes, by module group. */
  profile?: LoadReport['profile'];
  /** Packages the app loads at start that the hello world does not. */
  extraPackages: string[];
  /** The app's modules evaluated at start (one more load, under V8's coverage). */
  modules?: string[];
}

const LOADER = join(__dirname, 'load-once.js');
const HELLO_WORLD = join(__dirname, 'hello-world-app.js');

function loadOnce(files: string[], mode?: '--profile' | '--modules'): LoadReport {
  const child = spawnSync(process.execPath, [LOADER, ...(mode ? [mode] : []), ...files], {
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`loading ${files.join(', ')} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout) as LoadReport;
}

function median(reports: LoadReport[]): LoadReport {
  const middleOf = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = sorted[Math.floor(sorted.length / 2)];
    if (middle === undefined) throw new Error('no samples');
    return middle;
  };
  const byLoad = [...reports].sort((a, b) => a.loadMs - b.loadMs);
  const sample = byLoad[Math.floor(byLoad.length / 2)];
  if (!sample) throw new Error('no samples');
  // Wall and CPU medians are taken separately; the rest (functions, packages) is the same in every sample.
  return { ...sample, loadMs: middleOf(reports.map((r) => r.loadMs)), cpuMs: middleOf(reports.map((r) => r.cpuMs)) };
}

/** The entry files the worker loads: package.json `main`, expanded like the local host does. */
export function appEntries(root: string): string[] {
  const { main } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
  return expandMainGlob(root, main);
}

export function measureColdStart(
  root: string,
  runs: number,
  entries = appEntries(root),
  profile = true,
): ColdStartResult {
  const hello: LoadReport[] = [];
  const app: LoadReport[] = [];
  for (let i = 0; i < runs; i++) {
    hello.push(loadOnce([HELLO_WORLD]));
    app.push(loadOnce(entries));
  }
  const helloWorld = median(hello);
  const appMedian = median(app);
  const baseline = new Set(helloWorld.packages);
  return {
    runs,
    helloWorld,
    app: appMedian,
    ratio: appMedian.loadMs / helloWorld.loadMs,
    cpuRatio: appMedian.cpuMs / helloWorld.cpuMs,
    extraPackages: appMedian.packages.filter((p) => !baseline.has(p)),
    ...(profile ? { profile: loadOnce(entries, '--profile').profile } : {}),
    ...(profile ? { modules: loadOnce(entries, '--modules').modules ?? [] } : {}),
  };
}

function formatProfile(profile: NonNullable<ColdStartResult['profile']>): string[] {
  const total = profile.reduce((sum, entry) => sum + entry.ms, 0);
  return [
    'where the app load goes (one profiled load; shares, the profiler slows everything):',
    ...profile
      .filter((entry) => entry.ms / total >= 0.01)
      .map((entry) => `  ${((100 * entry.ms) / total).toFixed(0).padStart(3)} %  ${entry.group}`),
  ];
}

/**
 * shared/ modules evaluated at start, by folder. Registration is meant to evaluate only the
 * foundation's (docs/decisions.md §38; test/integration/lazy-registration.test.ts fails otherwise).
 */
function formatModules(modules: string[]): string[] {
  const byFolder = new Map<string, number>();
  for (const module of modules.filter((m) => m.startsWith('shared/'))) {
    const folder = module.split('/')[1] ?? module;
    byFolder.set(folder, (byFolder.get(folder) ?? 0) + 1);
  }
  const folders = [...byFolder].map(([folder, count]) => `${folder} ${count}`).join(', ');
  return [`shared/ modules evaluated at start (${modules.filter((m) => m.startsWith('shared/')).length}): ${folders}`];
}

export function formatColdStart(result: ColdStartResult): string {
  const row = (name: string, r: LoadReport) =>
    `| ${name} | ${r.loadMs.toFixed(1)} | ${r.cpuMs.toFixed(1)} | ${r.functions} |`;
  return [
    `cold start: median of ${result.runs} fresh processes each, entries loaded through the registry shim`,
    '| app | load ms | cpu ms | functions |',
    '| --- | --- | --- | --- |',
    row('hello-world Functions app', result.helloWorld),
    row('this app (package.json main)', result.app),
    `cold start ratio (app / hello world): ${result.ratio.toFixed(1)}x (target <= 5x); by CPU time ${result.cpuRatio.toFixed(1)}x`,
    `packages loaded at start beyond the hello world: ${result.extraPackages.join(', ') || 'none'}`,
    `app code loaded as: ${result.app.layout}`,
    ...(result.modules ? formatModules(result.modules) : []),
    ...(result.profile ? formatProfile(result.profile) : []),
    '',
  ].join('\n');
}

// `node dist/bench/cold-start/measure.js [entry.js …]`: alone, optionally on chosen entry files.
if (require.main === module) {
  const root = join(__dirname, '..', '..', '..');
  const chosen = process.argv.slice(2).map((file) => resolve(file));
  const runs = Number(process.env.BENCH_COLD_RUNS ?? 15);
  process.stdout.write(formatColdStart(measureColdStart(root, runs, chosen.length ? chosen : appEntries(root))));
}
