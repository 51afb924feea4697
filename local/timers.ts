import { Cron } from 'croner';
import { nowMs } from '../shared/clock';
import { createInvocationContext, type InvocationTracker } from './invocation';
import type { RegisteredFunction } from './registry';

/**
 * Fires timer triggers on their NCRONTAB schedules (six fields, seconds first, UTC, as the
 * Functions host does) or TimeSpan schedules ("00:05:00"), following the timer extension's
 * listener (Microsoft.Azure.WebJobs.Extensions TimerListener / ScheduleMonitor):
 *
 * - the next run is computed from the last invocation: after a run at `t` the status becomes
 *   `{ last: t, next: schedule.next(t) }`, where a run that fired before its `next` (clock skew —
 *   here: LOCAL_TIME_SCALE, which fires `timeScale` times sooner than the clock) counts as having
 *   run at `next`. So a compressed schedule walks its occurrences one by one, and a run that
 *   outlives an occurrence is followed by one run at once, not by one per missed occurrence;
 * - with the schedule monitor (`useMonitor`, on by default unless the schedule fires more than once
 *   a minute) the status is persisted; at start, if the recorded `next` has passed (the host was
 *   down), the function runs **once** with `isPastDue: true`. A schedule changed since the status
 *   was written is not past due: its next occurrence is recomputed from now;
 * - `runOnStartup` runs it at start when it was not past due.
 *
 * Timers can also be fired on demand (the host's POST /admin/functions/{name}); like the host's
 * admin invocation that does not touch the schedule status.
 */
export interface TimerInfo {
  name: string;
  schedule: string;
  next: Date | undefined;
}

export interface TimerRunner {
  timers(): TimerInfo[];
  fire(name: string): Promise<void>;
  /** Resolves once every timer has done its start-up check (and its past-due run, if any). */
  started: Promise<void>;
  stop(): void;
}

/** What the listener persists per timer (the extension's ScheduleStatus). */
export interface ScheduleStatus {
  last?: string;
  next: string;
  lastUpdated?: string;
}

/** Where statuses are kept: in Azure a blob per timer in the host's storage; locally local/schedule-monitor.ts. */
export interface ScheduleMonitor {
  get(timerName: string): Promise<ScheduleStatus | undefined>;
  update(timerName: string, status: ScheduleStatus): Promise<void>;
}

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface Schedule {
  next(after: Date): Date | undefined;
}

export function parseSchedule(expression: string): Schedule & { constantMs?: number } {
  const span = /^(\d+):(\d{2}):(\d{2})$/.exec(expression);
  if (span) {
    const ms = (Number(span[1]) * 3600 + Number(span[2]) * 60 + Number(span[3])) * 1000;
    if (ms <= 0) throw new Error(`timer schedule "${expression}" must be positive`);
    return { next: (after) => new Date(after.getTime() + ms), constantMs: ms };
  }
  if (expression.trim().split(/\s+/).length !== 6) {
    throw new Error(`timer schedule "${expression}" must be an NCRONTAB expression with six fields (seconds first)`);
  }
  const cron = new Cron(expression, { paused: true, timezone: 'UTC' });
  return { next: (after) => cron.nextRun(after) ?? undefined };
}

/**
 * The extension's default for `useMonitor`: on, except for a schedule with more than one occurrence
 * in the next minute (a TimeSpan under a minute). A registration's own `useMonitor` wins.
 */
export function usesMonitor(
  trigger: Record<string, unknown>,
  schedule: ReturnType<typeof parseSchedule>,
  now: Date,
): boolean {
  if (typeof trigger.useMonitor === 'boolean') return trigger.useMonitor;
  if (schedule.constantMs !== undefined) return schedule.constantMs >= 60_000;
  const first = schedule.next(now);
  const second = first ? schedule.next(first) : undefined;
  return !(second && second.getTime() <= now.getTime() + 60_000);
}

/**
 * The extension's CheckPastDueAsync: whether a start at `now` missed an occurrence, and the status
 * to continue from (written back when it was missing or the schedule changed).
 */
export function checkPastDue(
  schedule: Schedule,
  now: Date,
  recorded: ScheduleStatus | undefined,
): { pastDue: boolean; status: ScheduleStatus | undefined; write: boolean } {
  if (!recorded) {
    const next = schedule.next(now);
    return next
      ? { pastDue: false, status: { next: next.toISOString(), lastUpdated: now.toISOString() }, write: true }
      : { pastDue: false, status: undefined, write: false };
  }
  const from = recorded.last ?? recorded.lastUpdated;
  let expected = schedule.next(from ? new Date(from) : now);
  let status = recorded;
  let write = false;
  if (!expected || expected.toISOString() !== new Date(recorded.next).toISOString()) {
    // The schedule changed since the status was written: a next occurrence already in the past is
    // recomputed from now, so the change alone never counts as a missed run.
    let updated = from ? new Date(from) : now;
    if (!expected || now.getTime() > expected.getTime()) {
      expected = schedule.next(now);
      updated = now;
    }
    if (!expected) return { pastDue: false, status: undefined, write: false };
    status = { next: expected.toISOString(), lastUpdated: updated.toISOString() };
    write = true;
  }
  return { pastDue: now.getTime() > Date.parse(status.next), status, write };
}

export function startTimers(
  functions: RegisteredFunction[],
  options: {
    timeScale: number;
    log: Log;
    automatic?: boolean;
    /** Persisted schedule status; without one no run is ever past due (as with `useMonitor: false`). */
    monitor?: ScheduleMonitor;
    /** Values of extra input bindings a timer declares (the durable client), by binding type. */
    extraInputValue?: (bindingType: string) => unknown;
    /** Holds each run to host.json's functionTimeout, with every other invocation of the host. */
    invocations?: InvocationTracker;
  },
): TimerRunner {
  const handles = new Map<string, NodeJS.Timeout>();
  const statuses = new Map<string, ScheduleStatus | undefined>();
  let stopped = false;

  const call = async (fn: RegisteredFunction, isPastDue: boolean) => {
    const now = new Date(nowMs());
    const status = statuses.get(fn.name);
    const input = {
      isPastDue,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: status?.last ?? new Date(0).toISOString(),
        next: status?.next ?? now.toISOString(),
        lastUpdated: status?.lastUpdated ?? now.toISOString(),
      },
    };
    const context = createInvocationContext(
      fn,
      options.log,
      options.extraInputValue ? { extraInputValue: options.extraInputValue } : {},
    );
    try {
      const run = () => fn.callback(input, context);
      await (options.invocations ? options.invocations.run(fn, context, run) : run());
    } catch (error) {
      options.log('error', `timer function ${fn.name} failed`, { function: fn.name, error: (error as Error).message });
    }
  };

  const automatic = options.automatic !== false;
  // Parsed up front: a bad schedule stops the host at start, as the Functions host refuses it.
  const schedules = new Map(functions.map((fn) => [fn.name, parseSchedule(String(fn.trigger.schedule ?? ''))]));
  const started = Promise.all(
    functions.map(async (fn) => {
      const schedule = schedules.get(fn.name)!;
      // LOCAL_TIMERS=manual: the timer only fires on demand (POST /admin/functions/{name}).
      if (!automatic) return;
      const monitor =
        options.monitor && usesMonitor(fn.trigger, schedule, new Date(nowMs())) ? options.monitor : undefined;

      /** A scheduled (or past-due / start-up) run, then the status the listener keeps after it. */
      const run = async (kind: 'scheduled' | 'pastDue' | 'startup') => {
        const invokedAt = new Date(nowMs());
        await call(fn, kind === 'pastDue');
        const recordedNext = statuses.get(fn.name)?.next;
        const adjusted =
          kind === 'scheduled' && recordedNext && Date.parse(recordedNext) > invokedAt.getTime()
            ? new Date(recordedNext)
            : invokedAt;
        const next = schedule.next(adjusted);
        const status: ScheduleStatus | undefined = next
          ? { last: adjusted.toISOString(), next: next.toISOString(), lastUpdated: adjusted.toISOString() }
          : undefined;
        statuses.set(fn.name, status);
        if (monitor && status) await monitor.update(fn.name, status).catch((error: unknown) => warn(error));
      };
      const warn = (error: unknown) =>
        options.log('warn', 'timer schedule status could not be saved', {
          function: fn.name,
          error: error instanceof Error ? error.message : String(error),
        });

      const arm = () => {
        if (stopped) return;
        const status = statuses.get(fn.name);
        if (!status) return;
        // The wait to the next occurrence, compressed by LOCAL_TIME_SCALE. Under compression `last`
        // runs ahead of the clock (a run counts as having happened at its occurrence), so the wait
        // is measured from whichever is later; a next already due runs now.
        const from = Math.max(nowMs(), status.last ? Date.parse(status.last) : 0);
        const wait = Math.max(0, (Date.parse(status.next) - from) / options.timeScale);
        handles.set(
          fn.name,
          setTimeout(() => void run('scheduled').finally(arm), Math.min(wait, 2_147_483_647)),
        );
      };

      const now = new Date(nowMs());
      let pastDue = false;
      if (monitor) {
        const checked = checkPastDue(schedule, now, await monitor.get(fn.name).catch(() => undefined));
        pastDue = checked.pastDue;
        statuses.set(fn.name, checked.status);
        if (checked.write && checked.status) await monitor.update(fn.name, checked.status).catch(warn);
      } else {
        const next = schedule.next(now);
        statuses.set(fn.name, next ? { next: next.toISOString(), lastUpdated: now.toISOString() } : undefined);
      }
      if (stopped) return;
      if (pastDue) {
        options.log('info', `timer ${fn.name} is past due on start-up; running it now`, { function: fn.name });
        await run('pastDue');
      } else if (fn.trigger.runOnStartup === true) {
        await run('startup');
      }
      arm();
    }),
  ).then(
    () => undefined,
    (error: unknown) =>
      options.log('error', 'timer start-up failed', { error: error instanceof Error ? error.message : String(error) }),
  );

  return {
    timers: () =>
      functions.map((fn) => {
        const next = statuses.get(fn.name)?.next;
        return { name: fn.name, schedule: String(fn.trigger.schedule), next: next ? new Date(next) : undefined };
      }),
    fire: async (name) => {
      const fn = functions.find((f) => f.name === name);
      if (!fn) throw new Error(`no timer function named ${name}`);
      await call(fn, false);
    },
    started,
    stop: () => {
      stopped = true;
      for (const handle of handles.values()) clearTimeout(handle);
      handles.clear();
    },
  };
}
