import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { type FunctionTrigger, InvocationContext, type InvocationContextInit } from '@azure/functions';
import type { RegisteredFunction } from './registry';

/**
 * Invocation contexts built the way the Functions worker builds them: a fresh one per call, the
 * trigger and extra bindings in `options` (durable-functions' getClient looks for its binding
 * there), extra input values filled in, and log calls routed to the host's logger.
 */
export type HostLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface InvocationExtras {
  triggerMetadata?: Record<string, unknown>;
  /** Fields added to every log line the function writes through context.log. */
  logFields?: Record<string, unknown>;
  /** Values of extra input bindings by binding type (e.g. durableClient). */
  extraInputValue?: (bindingType: string) => unknown;
}

export function createInvocationContext(
  fn: RegisteredFunction,
  log: HostLog,
  extras: InvocationExtras = {},
): InvocationContext {
  const init: InvocationContextInit = {
    invocationId: randomUUID(),
    functionName: fn.name,
    options: { trigger: fn.trigger as FunctionTrigger, extraInputs: fn.extraInputs, extraOutputs: [] },
    ...(extras.triggerMetadata ? { triggerMetadata: extras.triggerMetadata } : {}),
    logHandler: (level, ...args) => {
      if (level === 'trace' || level === 'debug' || level === 'none') return;
      const mapped = level === 'error' || level === 'critical' ? 'error' : level === 'warning' ? 'warn' : 'info';
      log(mapped, format(...args), { function: fn.name, ...extras.logFields });
    },
  };
  const context = new InvocationContext(init);
  for (const input of fn.extraInputs) {
    const value = extras.extraInputValue?.(input.type);
    if (value !== undefined) context.extraInputs.set(input.name, value);
  }
  return context;
}

/** What a function sees when the worker it ran on was restarted under it. */
export class WorkerRestartedError extends Error {
  override readonly name = 'WorkerRestartedError';
}

/**
 * Every invocation in flight on this "instance", held to host.json's functionTimeout the way the
 * Functions host holds an out-of-process worker: when one invocation overruns, the host logs it and
 * restarts the worker process, which fails every invocation running there, not just the late one
 * (docs/decisions.md §44). The local host cannot kill the JavaScript still running, so it fails
 * each invocation's result instead: nothing waits for it, and whatever it writes later is too late.
 */
export class InvocationTracker {
  private readonly inFlight = new Set<(error: Error) => void>();

  constructor(
    private readonly options: {
      /** Unset: no limit (functionTimeout "-1"). */
      functionTimeoutMs: number | undefined;
      log: HostLog;
    },
  ) {}

  get size(): number {
    return this.inFlight.size;
  }

  run<T>(fn: RegisteredFunction, context: InvocationContext, call: () => T | Promise<T>): Promise<T> {
    let fail: (error: Error) => void = () => undefined;
    const failed = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    this.inFlight.add(fail);
    const limit = this.options.functionTimeoutMs;
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(() => {
            this.options.log('error', 'function timeout exceeded: restarting the worker', {
              function: fn.name,
              invocationId: context.invocationId,
              functionTimeoutMs: limit,
              inFlight: this.inFlight.size,
            });
            this.restartWorker(`function "${fn.name}" exceeded functionTimeout (${limit} ms)`);
          }, limit);
    timer?.unref();
    const settle = () => {
      if (timer) clearTimeout(timer);
      this.inFlight.delete(fail);
    };
    // The call's own failure is not observed twice: race() rejects with whichever comes first.
    failed.catch(() => undefined);
    return Promise.race([Promise.resolve().then(call), failed]).finally(settle);
  }

  /** Fails every invocation in flight, as a worker restart does. */
  restartWorker(reason: string): void {
    const victims = [...this.inFlight];
    this.inFlight.clear();
    for (const fail of victims) fail(new WorkerRestartedError(`The worker was restarted: ${reason}.`));
  }
}
