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
