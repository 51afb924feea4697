import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { odata } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAzurite, startAzurite } from '../../local/azurite';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { STEPS_TABLE } from '../fixtures/durable-app/constants';
import { uniqueHub } from '../fixtures/durable-app/harness';
import { eventually } from '../support/http';

/**
 * Kill-and-restart: the engine runs in a child process (dist/test/fixtures/durable-app/runner.js)
 * against a disk-backed Azurite; the process is killed — by SIGKILL from outside, or by itself at a
 * named crash point — and a new process on the same storage must finish every orchestration, with
 * each activity result applied to the history exactly once.
 */
const RUNNER = resolve('dist/test/fixtures/durable-app/runner.js');
const RPC = '/runtime/webhooks/durabletask/';

interface Runner {
  child: ChildProcess;
  base: string;
  exited: Promise<void>;
  output: () => string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function diskAzurite(): Promise<RunningAzurite> {
  const location = mkdtempSync(join(tmpdir(), 'durable-restart-'));
  const azurite = await startAzurite({ location });
  cleanups.push(() => rmSync(location, { recursive: true, force: true }));
  cleanups.push(() => azurite.stop());
  return azurite;
}

async function startRunner(env: Record<string, string>): Promise<Runner> {
  const child = spawn(process.execPath, [RUNNER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const port = await eventually(async () => {
    const match = /\{"port":(\d+)\}/.exec(out);
    if (child.exitCode !== null) throw new Error(`runner exited early:\n${out}`);
    return match ? Number(match[1]) : undefined;
  }, 30_000);
  return { child, base: `http://127.0.0.1:${port}${RPC}`, exited, output: () => out };
}

interface Status {
  runtimeStatus: string;
  output: unknown;
  customStatus: unknown;
  history?: { EventType: string }[];
}

async function status(runner: Runner, id: string, history = false): Promise<Status | undefined> {
  const res = await fetch(`${runner.base}instances/${id}${history ? '?showHistory=true&showHistoryOutput=true' : ''}`);
  return res.status === 404 ? undefined : ((await res.json()) as Status);
}

async function steps(connection: string, runId: string): Promise<string[]> {
  const out: string[] = [];
  const table = storageAccountFromConnectionString(connection).table(STEPS_TABLE);
  try {
    for await (const row of table.listEntities<{ step: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${runId}` },
    })) {
      out.push(row.step);
    }
  } catch {
    return [];
  }
  return out.sort();
}

const countEvents = (s: Status | undefined, type: string) =>
  (s?.history ?? []).filter((e) => e.EventType === type).length;

async function startOrchestration(runner: Runner, id: string, input: unknown): Promise<void> {
  const res = await fetch(`${runner.base}orchestrators/fixtureTwoStepsAndTimer/${id}`, {
    method: 'POST',
    body: JSON.stringify(input),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBe(202);
}

async function completed(runner: Runner, id: string): Promise<Status> {
  return eventually(async () => {
    const s = await status(runner, id);
    if (s?.runtimeStatus === 'Failed') throw new Error(`orchestration failed: ${JSON.stringify(s.output)}`);
    return s?.runtimeStatus === 'Completed' ? status(runner, id, true) : undefined;
  }, 45_000);
}

function expectCompletedOnce(final: Status): void {
  expect(final.output).toMatchObject({ first: 'first:10', second: 'second:20' });
  expect(countEvents(final, 'TaskCompleted')).toBe(2);
  expect(countEvents(final, 'TimerCreated')).toBe(1);
  expect(countEvents(final, 'TimerFired')).toBe(1);
  expect(countEvents(final, 'ExecutionCompleted')).toBe(1);
}

describe('durable engine kill and restart (disk-backed Azurite, child process)', () => {
  it('resumes an orchestration killed with SIGKILL while it waits on its timer', { timeout: 120_000 }, async () => {
    const azurite = await diskAzurite();
    const env = {
      DURABLE_FIXTURE_STORAGE: azurite.connectionString,
      DURABLE_HUB: uniqueHub('Kill'),
      DURABLE_TIME_SCALE: '10',
    };
    const runId = randomUUID();
    const id = `kill-${runId}`;

    const first = await startRunner(env);
    // A 40 s timer at scale 10: about 4 s of real waiting, time enough to kill the process mid-wait.
    await startOrchestration(first, id, { runId, delayMs: 40_000 });
    await eventually(async () => {
      const s = await status(first, id, true);
      return countEvents(s, 'TimerCreated') === 1 && (await steps(azurite.connectionString, runId)).length === 1
        ? true
        : undefined;
    }, 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await steps(azurite.connectionString, runId)).toEqual(['first']);

    const second = await startRunner(env);
    const final = await completed(second, id);
    expectCompletedOnce(final);
    expect(await steps(azurite.connectionString, runId)).toEqual(['first', 'second']);
  });

  it.each([
    {
      point: 'durable.activity.before-run@1',
      what: 'after the first activity was leased, before it ran',
      // The dead owner's lease runs out (2 s in the runner), then the activity runs once.
      expectedSteps: ['first', 'second'],
    },
    {
      point: 'durable.activity.after-run@2',
      what: 'after the second activity ran, before its result was stored',
      // Activities are at-least-once: the interrupted one runs again, its result still lands once.
      expectedSteps: ['first', 'second', 'second'],
    },
    {
      point: 'durable.activity.after-complete@1',
      what: 'after the first result was stored, before the orchestration was told',
      expectedSteps: ['first', 'second'],
    },
    {
      point: 'durable.episode.before-commit@2',
      what: 'while applying the first result, before the episode committed',
      expectedSteps: ['first', 'second'],
    },
    {
      point: 'durable.episode.after-commit@2',
      what: 'right after the episode that scheduled the timer committed',
      expectedSteps: ['first', 'second'],
    },
    {
      point: 'durable.timer.before-fire@1',
      what: 'when the timer was due, before it was marked fired',
      expectedSteps: ['first', 'second'],
    },
    {
      point: 'durable.timer.after-fire@1',
      what: 'after the timer fired, before the orchestration saw it',
      expectedSteps: ['first', 'second'],
    },
  ])('finishes exactly once after a crash $what', { timeout: 120_000 }, async ({ point, expectedSteps }) => {
    const azurite = await diskAzurite();
    const hub = uniqueHub('Crash');
    const base = { DURABLE_FIXTURE_STORAGE: azurite.connectionString, DURABLE_HUB: hub, DURABLE_TIME_SCALE: '100' };
    const runId = randomUUID();
    const id = `crash-${runId}`;

    const doomed = await startRunner({ ...base, DURABLE_CRASH_AT: point });
    await startOrchestration(doomed, id, { runId, delayMs: 20_000 });
    await doomed.exited;
    expect(doomed.output()).toContain(`crash point reached: ${point.split('@')[0]}`);

    const restarted = await startRunner(base);
    const final = await completed(restarted, id);
    expectCompletedOnce(final);
    expect(await steps(azurite.connectionString, runId)).toEqual(expectedSteps);
  });

  it('a start that died after its index row is retried by the caller and runs once', { timeout: 120_000 }, async () => {
    const azurite = await diskAzurite();
    const base = {
      DURABLE_FIXTURE_STORAGE: azurite.connectionString,
      DURABLE_HUB: uniqueHub('Start'),
      DURABLE_TIME_SCALE: '100',
    };
    const runId = randomUUID();
    const id = `start-${runId}`;

    const doomed = await startRunner({ ...base, DURABLE_CRASH_AT: 'durable.start.after-index@1' });
    // The process dies inside the request: the caller gets no answer, so it does not know.
    await expect(
      fetch(`${doomed.base}orchestrators/fixtureTwoStepsAndTimer/${id}`, {
        method: 'POST',
        body: JSON.stringify({ runId, delayMs: 20_000 }),
        headers: { 'content-type': 'application/json' },
      }),
    ).rejects.toThrow();
    await doomed.exited;
    expect(doomed.output()).toContain('crash point reached: durable.start.after-index');

    const restarted = await startRunner(base);
    // Only the index row was written: the instance does not exist yet, and the retried start works.
    expect(await status(restarted, id)).toBeUndefined();
    await startOrchestration(restarted, id, { runId, delayMs: 20_000 });
    expectCompletedOnce(await completed(restarted, id));
    expect(await steps(azurite.connectionString, runId)).toEqual(['first', 'second']);
  });
});
