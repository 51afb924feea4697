import { performance } from 'node:perf_hooks';
import { installFunctionsCore } from '../../local/functions-core-shim';
import { FunctionRegistry } from '../../local/registry';

/**
 * One cold start in a fresh process (run by bench/cold-start/measure.ts): the registry shim stands
 * in for the worker, exactly as the local host installs it, then the entry files given as arguments
 * are required and timed. Prints one JSON line: load time, functions registered, and the npm
 * packages the load pulled in (so a newly eager SDK shows up by name).
 */
export interface LoadReport {
  loadMs: number;
  functions: number;
  packages: string[];
}

function packageOf(file: string): string | undefined {
  const match = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
  return match?.[1]?.replace('\\', '/');
}

const registry = new FunctionRegistry();
installFunctionsCore(registry, () => undefined);
const before = new Set(Object.keys(require.cache));
const started = performance.now();
for (const file of process.argv.slice(2)) require(file);
const loadMs = performance.now() - started;
const packages = new Set<string>();
for (const file of Object.keys(require.cache)) {
  const name = before.has(file) ? undefined : packageOf(file);
  if (name) packages.add(name);
}
const report: LoadReport = { loadMs, functions: registry.functions.size, packages: [...packages].sort() };
process.stdout.write(`${JSON.stringify(report)}\n`);
