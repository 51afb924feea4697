import { Session } from 'node:inspector';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { installFunctionsCore } from '../../local/functions-core-shim';
import { FunctionRegistry } from '../../local/registry';
import { type Coverage, evaluatedModules, packageOf, packagesLoadedSince, post } from './coverage';

/**
 * One cold start in a fresh process (run by bench/cold-start/measure.ts): the registry shim stands
 * in for the worker, exactly as the local host installs it, then the entry files given as arguments
 * are required and timed. Prints one JSON line: load time, functions registered, and the npm
 * packages the load pulled in (so a newly eager SDK shows up by name).
 *
 * With `--profile` first, the load runs under V8's sampling profiler and the report also says where
 * the time went, by module group (see `groupOf`). Profiling slows the load, so only the shares
 * mean something, not the milliseconds.
 *
 * With `--modules` first, the load runs under V8's precise coverage and the report lists every
 * module of shared/ and functions/ whose top-level code ran (test/integration/lazy-registration.test.ts
 * holds that list to the foundation's; docs/decisions.md §38).
 */
export interface LoadReport {
  loadMs: number;
  /** CPU time of the process during the load (user + system; GC and compiler threads count). */
  cpuMs: number;
  functions: number;
  packages: string[];
  /** How the app's code was loaded: from dist/app-bundle.js with or without its code cache, or file by file. */
  layout: 'bundle, code cache used' | 'bundle, code cache rejected' | 'bundle, no code cache' | 'one file per module';
  /** Profiled samples' time by module group, largest first (only with --profile). */
  profile?: Array<{ group: string; ms: number }>;
  /** The app's modules evaluated by the load, as source paths ("shared/clock/index.ts"; only with --modules). */
  modules?: string[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The module a frame belongs to. In dist/app-bundle.js each module's top-level code is a function
 * named after its source path ("shared/vendors/unifi/config.ts"), so the innermost such frame on a
 * sample's stack says whose load-time work it is — including the zod calls that module made to
 * build its schemas. Outside the bundle, a package is known by its file.
 */
function moduleOf(frame: ProfileNode['callFrame']): string | undefined {
  if (/^(shared|functions)\/.+\.ts$/.test(frame.functionName)) return frame.functionName;
  if (/^node_modules\/.+\.js$/.test(frame.functionName)) return frame.functionName;
  const pkg = packageOf(frame.url);
  return pkg ? `node_modules/${pkg}/` : undefined;
}

/** shared/<capability>, functions/<entry> and npm packages; everything else is Node's module loading, GC, … */
function groupOf(module: string | undefined): string {
  if (!module) return '(node: loading, compiling, GC)';
  const shared = /^shared\/([^/]+)\//.exec(module);
  if (shared) return `shared/${shared[1]}`;
  if (module.startsWith('functions/')) return 'functions/* (entries)';
  return packageOf(`/${module}`) ?? module;
}

function attribute(profile: Profile): Array<{ group: string; ms: number }> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const owner = new Map<number, string | undefined>();
  const ownerOf = (id: number): string | undefined => {
    if (owner.has(id)) return owner.get(id);
    const node = byId.get(id);
    const up = parent.get(id);
    const found = (node && moduleOf(node.callFrame)) ?? (up === undefined ? undefined : ownerOf(up));
    owner.set(id, found);
    return found;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const group = groupOf(ownerOf(id));
    totals.set(group, (totals.get(group) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].map(([group, ms]) => ({ group, ms })).sort((a, b) => b.ms - a.ms);
}

/** Read from the bundle loader (scripts/app-bundle-loader.cjs), if the load went through it. */
function layoutOf(): LoadReport['layout'] {
  const loader = Object.entries(require.cache).find(([file]) => /[\\/]app-bundle-loader\.js$/.test(file))?.[1];
  if (!loader) return 'one file per module';
  const rejected = (loader.exports as { cacheRejected?: boolean }).cacheRejected;
  if (rejected === undefined) return 'bundle, no code cache';
  return rejected ? 'bundle, code cache rejected' : 'bundle, code cache used';
}

const args = process.argv.slice(2);
const profiling = args[0] === '--profile';
const listingModules = args[0] === '--modules';
const files = profiling || listingModules ? args.slice(1) : args;

const registry = new FunctionRegistry();
installFunctionsCore(registry, () => undefined);
const before = new Set(Object.keys(require.cache));
const session = profiling || listingModules ? new Session() : undefined;
if (session) {
  session.connect();
  post(session, 'Profiler.enable');
  if (profiling) {
    post(session, 'Profiler.setSamplingInterval', { interval: 100 });
    post(session, 'Profiler.start');
  } else {
    post(session, 'Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  }
}
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (const file of files) require(file);
const loadMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const profile =
  session && profiling ? attribute(post<{ profile: Profile }>(session, 'Profiler.stop').profile) : undefined;
const modules =
  session && listingModules
    ? evaluatedModules(post<Coverage>(session, 'Profiler.takePreciseCoverage'), join(__dirname, '..', '..'))
    : undefined;
const report: LoadReport = {
  loadMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
  functions: registry.functions.size,
  packages: packagesLoadedSince(before),
  layout: layoutOf(),
  ...(profile ? { profile } : {}),
  ...(modules ? { modules } : {}),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
