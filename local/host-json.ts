import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The parts of host.json the local host honours, read from the same file Azure deploys, so the
 * two cannot drift: Service Bus trigger concurrency and lock renewal, and Durable activity
 * concurrency, and functionTimeout. Absent values take the Functions defaults (Service Bus
 * extension 5.x: maxConcurrentCalls 16 × processor count, maxAutoLockRenewalDuration 5 minutes;
 * Durable: maxConcurrentActivityFunctions 10 × processor count; Flex Consumption: functionTimeout
 * 30 minutes, "-1" for none).
 */

/** A host.json TimeSpan, `[d.]hh:mm:ss[.fff]`, in milliseconds. */
export function timeSpanMs(value: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!match) throw new Error(`host.json: "${value}" is not a TimeSpan (hh:mm:ss)`);
  const [, days, hours, minutes, seconds, fraction] = match;
  const whole = ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds);
  return whole * 1000 + Math.round(Number(`0.${fraction ?? '0'}`) * 1000);
}

const timeSpan = z.string().transform((value, ctx) => {
  try {
    return timeSpanMs(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** Flex Consumption's default when host.json names no functionTimeout. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 30 * 60_000;

const hostJsonSchema = z.object({
  functionTimeout: z.union([z.literal('-1'), timeSpan]).optional(),
  extensions: z
    .object({
      serviceBus: z
        .object({
          maxConcurrentCalls: z.number().int().positive().optional(),
          maxAutoLockRenewalDuration: timeSpan.optional(),
        })
        .optional(),
      durableTask: z.object({ maxConcurrentActivityFunctions: z.number().int().positive().optional() }).optional(),
    })
    .optional(),
});

export interface HostJsonSettings {
  /** Undefined: no limit (functionTimeout "-1"). */
  functionTimeoutMs: number | undefined;
  serviceBus: { maxConcurrentCalls: number; maxAutoLockRenewalMs: number };
  durableTask: { maxConcurrentActivityFunctions: number };
}

export function hostJsonSettings(json: unknown, processorCount = Math.max(1, cpus().length)): HostJsonSettings {
  const parsed = hostJsonSchema.safeParse(json);
  if (!parsed.success) throw new Error(`host.json is not valid: ${parsed.error.message}`);
  const extensions = parsed.data.extensions;
  const functionTimeout = parsed.data.functionTimeout;
  return {
    functionTimeoutMs: functionTimeout === '-1' ? undefined : (functionTimeout ?? DEFAULT_FUNCTION_TIMEOUT_MS),
    serviceBus: {
      maxConcurrentCalls: extensions?.serviceBus?.maxConcurrentCalls ?? 16 * processorCount,
      maxAutoLockRenewalMs: extensions?.serviceBus?.maxAutoLockRenewalDuration ?? 5 * 60_000,
    },
    durableTask: {
      maxConcurrentActivityFunctions: extensions?.durableTask?.maxConcurrentActivityFunctions ?? 10 * processorCount,
    },
  };
}

/** host.json at the app root (what `func azure functionapp publish` / azd deploy ship). */
export function readHostJson(root: string): HostJsonSettings {
  return hostJsonSettings(JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as unknown);
}
