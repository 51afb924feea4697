import { Cron } from 'croner';
import { nowMs } from '../shared/clock';
import { createInvocationContext } from './invocation';
import type { RegisteredFunction } from './registry';

/**
 * Fires timer triggers on their NCRONTAB schedules (six fields, seconds first, UTC, as the
 * Functions host does) or TimeSpan schedules ("00:05:00"). LOCAL_TIME_SCALE compresses the wait
 * between occurrences: the schedule is walked on a virtual timeline that advances `timeScale`
 * times faster than real time, so "every 5 minutes" fires every 5 s at scale 60. Timers can also be
 * fired on demand (the host's POST /admin/functions/{name}).
 */
export interface TimerInfo {
  name: string;
  schedule: string;
  next: Date | undefined;
}

export interface TimerRunner {
  timers(): TimerInfo[];
  fire(name: string): Promise<void>;
  stop(): void;
}

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

interface Schedule {
  next(after: Date): Date | undefined;
}

function parseSchedule(expression: string): Schedule {
  const span = /^(\d+):(\d{2}):(\d{2})$/.exec(expression);
  if (span) {
    const ms = (Number(span[1]) * 3600 + Number(span[2]) * 60 + Number(span[3])) * 1000;
    if (ms <= 0) throw new Error(`timer schedule "${expression}" must be positive`);
    return { next: (after) => new Date(after.getTime() + ms) };
  }
  if (expression.trim().split(/\s+/).length !== 6) {
    throw new Error(`timer schedule "${expression}" must be an NCRONTAB expression with six fields (seconds first)`);
  }
  const cron = new Cron(expression, { paused: true, timezone: 'UTC' });
  return { next: (after) => cron.nextRun(after) ?? undefined };
}

export function startTimers(
  functions: RegisteredFunction[],
  options: {
    timeScale: number;
    log: Log;
    automatic?: boolean;
    /** Values of extra input bindings a timer declares (the durable client), by binding type. */
    extraInputValue?: (bindingType: string) => unknown;
  },
): TimerRunner {
  const handles = new Map<string, NodeJS.Timeout>();
  const nextAt = new Map<string, Date | undefined>();
  const lastAt = new Map<string, Date>();
  let stopped = false;

  const invoke = async (fn: RegisteredFunction, isPastDue: boolean) => {
    const now = new Date(nowMs());
    const input = {
      isPastDue,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (lastAt.get(fn.name) ?? now).toISOString(),
        next: (nextAt.get(fn.name) ?? now).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
    lastAt.set(fn.name, now);
    const context = createInvocationContext(
      fn,
      options.log,
      options.extraInputValue ? { extraInputValue: options.extraInputValue } : {},
    );
    try {
      await fn.callback(input, context);
    } catch (error) {
      options.log('error', `timer function ${fn.name} failed`, { function: fn.name, error: (error as Error).message });
    }
  };

  for (const fn of functions) {
    const expression = String(fn.trigger.schedule ?? '');
    const schedule = parseSchedule(expression);
    let virtual = new Date(nowMs());
    const arm = () => {
      // LOCAL_TIMERS=manual: the timer only fires on demand (POST /admin/functions/{name}).
      if (stopped || options.automatic === false) return;
      const next = schedule.next(virtual);
      nextAt.set(fn.name, next);
      if (!next) return;
      const wait = Math.max(0, (next.getTime() - virtual.getTime()) / options.timeScale);
      handles.set(
        fn.name,
        setTimeout(() => {
          virtual = next;
          void invoke(fn, false).finally(arm);
        }, wait),
      );
    };
    if (fn.trigger.runOnStartup === true) void invoke(fn, false);
    arm();
  }

  return {
    timers: () =>
      functions.map((fn) => ({ name: fn.name, schedule: String(fn.trigger.schedule), next: nextAt.get(fn.name) })),
    fire: async (name) => {
      const fn = functions.find((f) => f.name === name);
      if (!fn) throw new Error(`no timer function named ${name}`);
      await invoke(fn, false);
    },
    stop: () => {
      stopped = true;
      for (const handle of handles.values()) clearTimeout(handle);
      handles.clear();
    },
  };
}
