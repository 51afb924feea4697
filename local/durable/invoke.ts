import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { InvocationContext, type InvocationContextInit } from '@azure/functions';
import type { RegisteredFunction } from '../registry';

/**
 * Invocation contexts built the way the Functions worker builds them: the trigger and extra
 * bindings in `options` (durable-functions' getClient looks for its binding there) and log calls
 * routed to the host's logger.
 */
export type EngineLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export function invocationContext(
  fn: RegisteredFunction,
  log: EngineLog,
  fields: Record<string, unknown>,
  extraInputValue?: (bindingType: string) => unknown,
): InvocationContext {
  const init: InvocationContextInit = {
    invocationId: randomUUID(),
    functionName: fn.name,
    options: { trigger: fn.trigger, extraInputs: fn.extraInputs, extraOutputs: [] },
    logHandler: (level, ...args) => {
      const mapped = level === 'error' || level === 'critical' ? 'error' : level === 'warning' ? 'warn' : 'info';
      log(mapped, format(...args), { function: fn.name, ...fields });
    },
  };
  const context = new InvocationContext(init);
  for (const input of fn.extraInputs) {
    const value = extraInputValue?.(input.type);
    if (value !== undefined) context.extraInputs.set(input.name, value);
  }
  return context;
}
