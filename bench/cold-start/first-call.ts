import { Session } from 'node:inspector';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { installFunctionsCore } from '../../local/functions-core-shim';
import { FunctionRegistry } from '../../local/registry';
import { type Coverage, evaluatedModules, packagesLoadedSince, post } from './coverage';

/**
 * One cold request in a fresh process (run by bench/cold-start/measure.ts, "requests" mode): the
 * registry shim stands in for the worker as in load-once.ts, the entry files are required, then
 * one function is invoked the way the host invokes it — an HTTP trigger with the library's own
 * HttpRequest, a queue trigger with its body and trigger metadata — and timed until it answers.
 * The storage it talks to is the parent's Azurite (DataStorage in the environment).
 *
 *   node first-call.js <spec JSON> <entry.js …>
 * spec: { function, http?: { method, url, headers, params, body? }, queue?: { body, messageId } }
 * Prints one JSON line: load, first call, their sum, CPU time and what the call answered.
 *
 * With `--modules` first, the process runs under V8's precise coverage (slower, so its times are
 * not comparable) and the report also lists the app's modules and the npm packages the first
 * call evaluated beyond the load: what a trim of the first invocation looks for.
 */
export interface FirstCallSpec {
  function: string;
  http?: {
    method: string;
    url: string;
    headers: Record<string, string>;
    params: Record<string, string>;
    body?: string;
  };
  queue?: { body: unknown; messageId: string };
}

export interface FirstCallReport {
  loadMs: number;
  callMs: number;
  /** The same invocation once more in the same process: what the call costs warm (its storage round trips). */
  warmCallMs: number;
  totalMs: number;
  cpuMs: number;
  /** HTTP status, or the queue settlement's kind. */
  answer: string;
  /** Only with --modules: the app's modules and the packages the first call evaluated, not the load. */
  firstCall?: { modules: string[]; packages: string[] };
}

function answerOf(result: unknown): string {
  if (typeof result !== 'object' || result === null) return 'complete';
  const r = result as { status?: unknown; kind?: unknown };
  return String(r.status ?? r.kind ?? 200);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const listing = args[0] === '--modules';
  const [specText = '{}', ...files] = listing ? args.slice(1) : args;
  const spec = JSON.parse(specText) as FirstCallSpec;
  const registry = new FunctionRegistry();
  installFunctionsCore(registry, () => undefined);
  const session = listing ? new Session() : undefined;
  if (session) {
    session.connect();
    post(session, 'Profiler.enable');
    post(session, 'Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  }
  const dist = join(__dirname, '..', '..');
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const file of files) require(file);
  await registry.runHooks('appStart', { hookData: {}, appHookData: {} });
  const loaded = performance.now();
  const atLoad = session
    ? new Set(evaluatedModules(post<Coverage>(session, 'Profiler.takePreciseCoverage'), dist))
    : undefined;

  const fn = registry.get(spec.function);
  if (!fn) throw new Error(`no function ${spec.function}`);
  // The library and the host's invocation helpers load after the measured load, as in load-once.ts
  // (loading @azure/functions first would take its load out of both apps' load times). require, not
  // import(): the build keeps import() as an ES module import, which cannot resolve dist's files.
  const { HttpRequest } = require('@azure/functions') as typeof import('@azure/functions');
  const { createInvocationContext } = require('../../local/invocation') as typeof import('../../local/invocation');
  const { triggerMetadataFor } = require('../../local/queue-runner') as typeof import('../../local/queue-runner');
  const noLog = () => undefined;
  const invoke = async (): Promise<unknown> => {
    if (spec.http) {
      const { method, url, headers, params, body } = spec.http;
      const request = new HttpRequest({
        method,
        url,
        headers,
        params,
        query: {},
        ...(body !== undefined ? { body: { string: body } } : {}),
      });
      return fn.callback(request, createInvocationContext(fn, noLog));
    }
    if (spec.queue) {
      const message = {
        body: spec.queue.body,
        messageId: spec.queue.messageId,
        deliveryCount: 1,
        enqueuedTimeUtc: new Date(),
        applicationProperties: {},
      };
      return fn.callback(
        spec.queue.body,
        createInvocationContext(fn, noLog, { triggerMetadata: triggerMetadataFor(message) }),
      );
    }
    return undefined;
  };
  // The invocation helpers above are the harness's, not the app's: their packages are not counted.
  const harness = new Set(Object.keys(require.cache));
  const result = await invoke();
  const finished = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  // Taking coverage resets its counts, so this take holds what ran since the load (filtered anyway).
  const firstCall =
    session && atLoad
      ? {
          modules: evaluatedModules(post<Coverage>(session, 'Profiler.takePreciseCoverage'), dist).filter(
            (m) => !atLoad.has(m),
          ),
          packages: packagesLoadedSince(harness),
        }
      : undefined;
  // A repeat is a duplicate delivery or a redelivered message: the same reads, close enough.
  await invoke();
  const warmCallMs = performance.now() - finished;
  const report: FirstCallReport = {
    loadMs: loaded - started,
    callMs: finished - loaded,
    warmCallMs,
    totalMs: finished - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
    answer: answerOf(result),
    ...(firstCall ? { firstCall } : {}),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  // Open sockets and timers of the app must not keep a measured process alive.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
