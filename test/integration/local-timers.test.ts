import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { RegisteredFunction } from '../../local/registry';
import { tableScheduleMonitor } from '../../local/schedule-monitor';
import { checkPastDue, parseSchedule, type ScheduleMonitor, startTimers, type TimerRunner } from '../../local/timers';
import { installClock, ManualClock } from '../../shared/clock';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { eventually } from '../support/wait';

/**
 * The local timer listener against the rules of the timer extension's TimerListener and
 * ScheduleMonitor: next run from the last invocation, one past-due run at start when the persisted
 * status says an occurrence was missed, none for a changed schedule, no monitor for sub-minute
 * schedules. Statuses live in Azurite (local/schedule-monitor.ts).
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const MIN = 60_000;
const T = Date.UTC(2026, 2, 1, 10, 0, 0);
const EVERY_5_MIN = '0 */5 * * * *';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface Call {
  isPastDue: boolean;
}

function timerFunction(name: string, schedule: string, calls: Call[], extra: Record<string, unknown> = {}) {
  const trigger = { name: 'timer', type: 'timerTrigger', direction: 'in' as const, schedule, ...extra };
  const fn: RegisteredFunction = {
    name,
    metadata: { name, bindings: { timer: trigger } },
    trigger,
    extraInputs: [],
    callback: async (input: unknown) => {
      calls.push({ isPastDue: (input as Call).isPastDue });
    },
  };
  return fn;
}

function run(functions: RegisteredFunction[], monitor: ScheduleMonitor | undefined, timeScale = 1): TimerRunner {
  const runner = startTimers(functions, { timeScale, log: () => {}, ...(monitor ? { monitor } : {}) });
  cleanups.push(() => runner.stop());
  return runner;
}

function clockAt(ms: number): ManualClock {
  const clock = new ManualClock(ms);
  cleanups.push(installClock(clock));
  return clock;
}

describe('checkPastDue (the extension’s rules)', () => {
  const schedule = parseSchedule(EVERY_5_MIN);
  const iso = (ms: number) => new Date(ms).toISOString();

  it('a first start writes the next occurrence and is not past due', () => {
    expect(checkPastDue(schedule, new Date(T + 1000), undefined)).toEqual({
      pastDue: false,
      status: { next: iso(T + 5 * MIN), lastUpdated: iso(T + 1000) },
      write: true,
    });
  });

  it('a recorded next that has passed is past due, however many occurrences were missed', () => {
    const recorded = { last: iso(T - 60 * MIN), next: iso(T - 55 * MIN), lastUpdated: iso(T - 60 * MIN) };
    expect(checkPastDue(schedule, new Date(T), recorded)).toEqual({ pastDue: true, status: recorded, write: false });
  });

  it('a recorded next still ahead is not past due', () => {
    const recorded = { last: iso(T - MIN * 5), next: iso(T), lastUpdated: iso(T - MIN * 5) };
    expect(checkPastDue(schedule, new Date(T - 1000), recorded).pastDue).toBe(false);
  });

  it('a schedule changed since the status was written is not past due: its next is recomputed from now', () => {
    // Written by an hourly schedule: next = last + 1 h, which every-5-minutes would not have computed.
    const recorded = { last: iso(T - 120 * MIN), next: iso(T - 60 * MIN), lastUpdated: iso(T - 120 * MIN) };
    expect(checkPastDue(schedule, new Date(T + 1000), recorded)).toEqual({
      pastDue: false,
      status: { next: iso(T + 5 * MIN), lastUpdated: iso(T + 1000) },
      write: true,
    });
  });
});

describe('startTimers with the schedule monitor', () => {
  it('runs a timer once with isPastDue at start when its recorded next occurrence passed while the host was down, then records the run', async () => {
    clockAt(T + 30 * 1000);
    const monitor = tableScheduleMonitor(account, `h${randomUUID()}`);
    await monitor.update('tick', {
      last: new Date(T - 20 * MIN).toISOString(),
      next: new Date(T - 15 * MIN).toISOString(),
      lastUpdated: new Date(T - 20 * MIN).toISOString(),
    });
    const calls: Call[] = [];
    const runner = run([timerFunction('tick', EVERY_5_MIN, calls)], monitor);
    await runner.started;
    expect(calls).toEqual([{ isPastDue: true }]);
    // The next run follows from this invocation, not from the missed occurrences.
    expect(await monitor.get('tick')).toEqual({
      last: new Date(T + 30 * 1000).toISOString(),
      next: new Date(T + 5 * MIN).toISOString(),
      lastUpdated: new Date(T + 30 * 1000).toISOString(),
    });
  });

  it('does not run at start when nothing was missed, and writes the first status of a new timer', async () => {
    clockAt(T + 1000);
    const monitor = tableScheduleMonitor(account, `h${randomUUID()}`);
    await monitor.update('kept', {
      last: new Date(T).toISOString(),
      next: new Date(T + 5 * MIN).toISOString(),
      lastUpdated: new Date(T).toISOString(),
    });
    const kept: Call[] = [];
    const fresh: Call[] = [];
    const runner = run([timerFunction('kept', EVERY_5_MIN, kept), timerFunction('fresh', EVERY_5_MIN, fresh)], monitor);
    await runner.started;
    expect(kept).toEqual([]);
    expect(fresh).toEqual([]);
    expect(await monitor.get('fresh')).toEqual({
      next: new Date(T + 5 * MIN).toISOString(),
      lastUpdated: new Date(T + 1000).toISOString(),
    });
  });

  it('keeps no status for a schedule that fires more than once a minute (useMonitor defaults off), unless the registration asks', async () => {
    clockAt(T + 1000);
    const reads: string[] = [];
    const monitor: ScheduleMonitor = {
      get: async (name) => {
        reads.push(name);
        return { next: new Date(T - MIN).toISOString(), lastUpdated: new Date(T - 2 * MIN).toISOString() };
      },
      update: async () => {},
    };
    const runner = run(
      [
        timerFunction('fast', '*/10 * * * * *', []),
        timerFunction('fast-monitored', '*/10 * * * * *', [], { useMonitor: true }),
        timerFunction('span', '00:00:30', []),
      ],
      monitor,
    );
    await runner.started;
    expect(reads).toEqual(['fast-monitored']);
  });

  it('walks a compressed schedule occurrence by occurrence (LOCAL_TIME_SCALE), each run counted at its occurrence', async () => {
    clockAt(T + 1000);
    const statuses: string[] = [];
    const monitor: ScheduleMonitor = {
      get: async () => undefined,
      update: async (_name, status) => {
        if (status.last) statuses.push(`${status.last} -> ${status.next}`);
      },
    };
    const calls: Call[] = [];
    // 5 minutes at scale 3000 is 100 ms; the manual clock does not move, as a compressed timeline runs ahead of it.
    const runner = run([timerFunction('tick', EVERY_5_MIN, calls)], monitor, 3000);
    await runner.started;
    await eventually(async () => (calls.length >= 3 ? true : undefined), 20_000);
    runner.stop();
    expect(calls.slice(0, 3)).toEqual([{ isPastDue: false }, { isPastDue: false }, { isPastDue: false }]);
    const at = (n: number) => new Date(T + n * 5 * MIN).toISOString();
    expect(statuses.slice(0, 3)).toEqual([`${at(1)} -> ${at(2)}`, `${at(2)} -> ${at(3)}`, `${at(3)} -> ${at(4)}`]);
  });
});
