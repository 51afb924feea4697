import { randomUUID } from 'node:crypto';
import { odata } from '@azure/data-tables';
import { HttpRequest, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrchestrationStatus } from '../../local/durable';
import { LEASE_KEPT } from '../../local/durable/activity-runner';
import { hubTables } from '../../local/durable/names';
import type { FunctionRegistry } from '../../local/registry';
import { installClock, OffsetClock } from '../../shared/clock';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { STEPS_TABLE } from '../fixtures/durable-app/constants';
import { startTestEngine, type TestEngine } from '../fixtures/durable-app/harness';
import { heldActivity } from '../fixtures/durable-app/held';
import { loadFixtureApp } from '../fixtures/durable-app/load';
import { eventually } from '../support/http';

/**
 * The local Durable engine driving the real durable-functions replay engine, in process, against
 * the shared in-memory Azurite. Every test gets its own task hub (its own tables).
 */
const connection = process.env.TEST_STORAGE_CONNECTION!;
const account = storageAccountFromConnectionString(connection);
let registry: FunctionRegistry;
const running: TestEngine[] = [];

beforeAll(async () => {
  process.env.DURABLE_FIXTURE_STORAGE = connection;
  registry = await loadFixtureApp();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
});

async function engineUnderTest(
  overrides: Parameters<typeof startTestEngine>[0]['overrides'] = {},
): Promise<TestEngine> {
  const t = await startTestEngine({ registry, account, overrides });
  running.push(t);
  return t;
}

async function start(t: TestEngine, name: string, input: unknown, instanceId = randomUUID()): Promise<string> {
  const result = await t.engine.client.start(name, { instanceId, input: JSON.stringify(input) });
  expect(result).toEqual({ type: 'started', instanceId });
  return instanceId;
}

async function finished(t: TestEngine, instanceId: string, timeoutMs = 20_000): Promise<OrchestrationStatus> {
  return eventually(async () => {
    const status = await t.engine.getStatus(instanceId);
    return status && ['Completed', 'Failed', 'Terminated'].includes(status.runtimeStatus) ? status : undefined;
  }, timeoutMs);
}

async function stepRows(runId: string): Promise<string[]> {
  const steps: string[] = [];
  for await (const row of account.table(STEPS_TABLE).listEntities<{ step: string }>({
    queryOptions: { filter: odata`PartitionKey eq ${runId}` },
  })) {
    steps.push(row.step);
  }
  return steps.sort();
}

async function eventTypes(t: TestEngine, instanceId: string): Promise<number[]> {
  return ((await t.engine.getHistory(instanceId)) ?? []).map((e) => e.EventType);
}

const count = (list: number[], type: number) => list.filter((x) => x === type).length;
const T = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
};

/** A client function's context, filled the way the host fills it: the durableClient binding's value. */
function clientContext(t: TestEngine, functionName: string): InvocationContext {
  const fn = registry.get(functionName)!;
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName,
    options: { trigger: fn.trigger, extraInputs: fn.extraInputs, extraOutputs: [] },
  });
  for (const input of fn.extraInputs) {
    if (input.type === 'durableClient') context.extraInputs.set(input.name, t.engine.clientBindingData());
  }
  return context;
}

describe('local durable engine', () => {
  it('runs two activities around a timer to completion, compressing the wait by timeScale', async () => {
    const t = await engineUnderTest({ timeScale: 600 });
    const runId = randomUUID();
    const id = await start(t, 'fixtureTwoStepsAndTimer', { runId, delayMs: 60_000 });

    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as { first: string; second: string; fireAt: string; resumedAt: string };
    expect(output.first).toBe('first:10');
    expect(output.second).toBe('second:20');
    expect(status.customStatus).toEqual({ phase: 'done' });
    expect(status.input).toEqual({ runId, delayMs: 60_000 });
    // A 60 s timer at scale 600 waits at least 100 ms of real time after it was created.
    expect(Date.parse(output.resumedAt) - Date.parse(status.createdTime)).toBeGreaterThanOrEqual(100);

    const types = await eventTypes(t, id);
    expect(count(types, T.TaskScheduled)).toBe(2);
    expect(count(types, T.TaskCompleted)).toBe(2);
    expect(count(types, T.TimerCreated)).toBe(1);
    expect(count(types, T.TimerFired)).toBe(1);
    expect(count(types, T.ExecutionCompleted)).toBe(1);
    const history = (await t.engine.getHistory(id)) ?? [];
    const created = history.find((e) => e.EventType === T.TimerCreated);
    expect(created && 'FireAt' in created ? created.FireAt : undefined).toBe(output.fireAt);
    expect(await stepRows(runId)).toEqual(['first', 'second']);
  });

  it('fires a timer when the injected clock moves past it, not before', async () => {
    const clock = new OffsetClock();
    const restore = installClock(clock);
    try {
      const t = await engineUnderTest({ timeScale: 1 });
      const runId = randomUUID();
      const id = await start(t, 'fixtureTwoStepsAndTimer', { runId, delayMs: 2 * 60 * 60 * 1000 });
      await eventually(async () => ((await eventTypes(t, id)).includes(T.TimerCreated) ? true : undefined));
      await t.engine.waitForIdle();
      expect((await t.engine.getStatus(id))?.runtimeStatus).toBe('Running');
      expect(await stepRows(runId)).toEqual(['first']);

      clock.advance(2 * 60 * 60 * 1000 + 1000);
      const status = await finished(t, id);
      expect(status.runtimeStatus).toBe('Completed');
      const output = status.output as { fireAt: string; resumedAt: string };
      // The episode after the timer sees currentUtcDateTime at or after the time it asked for.
      expect(Date.parse(output.resumedAt)).toBeGreaterThanOrEqual(Date.parse(output.fireAt));
    } finally {
      restore();
    }
  });

  it('fans out with Task.all and gathers the results in order', async () => {
    const t = await engineUnderTest();
    // 120 tasks: more than one 100-operation storage transaction holds, and several episodes of results.
    const numbers = Array.from({ length: 120 }, (_, i) => i + 1);
    const id = await start(t, 'fixtureFanOut', numbers);
    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ results: numbers.map((n) => n * 2), sum: 120 * 121 });
    const types = await eventTypes(t, id);
    expect(count(types, T.TaskScheduled)).toBe(120);
    expect(count(types, T.TaskCompleted)).toBe(120);
  });

  it('fails the orchestration visibly when an activity throws', async () => {
    const t = await engineUnderTest();
    const id = await start(t, 'fixtureFailing', 'vendor said no');
    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toEqual(expect.stringContaining("Orchestrator function 'fixtureFailing' failed"));
    expect(status.output).toEqual(expect.stringContaining("Activity function 'fixtureFail' failed: vendor said no"));
    expect(status.customStatus).toBe('about to fail');
    const types = await eventTypes(t, id);
    expect(count(types, T.TaskFailed)).toBe(1);
    expect(count(types, T.ExecutionCompleted)).toBe(1);

    // The status API answers 400 for a failed instance, with the same status body.
    const res = await fetch(`${t.rpcBaseUrl}instances/${id}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as OrchestrationStatus).runtimeStatus).toBe('Failed');
  });

  it('lets the orchestrator catch an activity failure', async () => {
    const t = await engineUnderTest();
    const id = await start(t, 'fixtureCatches', null);
    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ caught: "Activity function 'fixtureFail' failed: handled " });
  });

  it('retries an activity with callActivityWithRetry until it succeeds', async () => {
    const t = await engineUnderTest();
    const id = await start(t, 'fixtureRetry', { key: randomUUID(), failTimes: 2, maxAttempts: 3 });
    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ attempt: 3 });
    const types = await eventTypes(t, id);
    expect(count(types, T.TaskFailed)).toBe(2);
    expect(count(types, T.TimerFired)).toBe(2);
    expect(count(types, T.TaskCompleted)).toBe(1);
  });

  it('fails after the last retry attempt', async () => {
    const t = await engineUnderTest();
    const id = await start(t, 'fixtureRetry', { key: randomUUID(), failTimes: 5, maxAttempts: 2 });
    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toEqual(expect.stringContaining('flaky failure 2'));
    expect(count(await eventTypes(t, id), T.TaskFailed)).toBe(2);
  });

  it('keeps retried activities in a fan-out apart (retry timers and re-runs interleave)', async () => {
    const t = await engineUnderTest();
    const id = await start(t, 'fixtureRetryFanOut', randomUUID());
    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Completed');
    // Attempt numbers: a succeeds on its 2nd call, b on its 4th, c on its 1st.
    expect(status.output).toEqual({ results: [2, 4, 42, 1], after: 8 });
    const types = await eventTypes(t, id);
    expect(count(types, T.TaskFailed)).toBe(4);
    expect(count(types, T.TimerFired)).toBe(4);
    expect(count(types, T.TaskCompleted)).toBe(5);
  });

  it('continues as new with a fresh history until done', async () => {
    const t = await engineUnderTest();
    const id = await start(t, 'fixtureCounter', 0);
    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ n: 3, doubled: 6 });
    expect(status.input).toBe(3);
    // Only the last execution's history remains.
    expect(count(await eventTypes(t, id), T.ExecutionStarted)).toBe(1);
  });

  it('times out a wait for an external event with a timer', async () => {
    const t = await engineUnderTest();
    const id = await start(t, 'fixtureApproval', 200);
    const status = await finished(t, id);
    expect(status.output).toEqual({ timedOut: true });
  });
});

describe('durable client over the RPC API', () => {
  it('starts an orchestration and reads its status from inside a client function', async () => {
    const t = await engineUnderTest();
    const fn = registry.get('fixtureStartViaClient')!;
    const instanceId = randomUUID();
    const request = new HttpRequest({
      url: `http://localhost/api/fixture/start/fixtureFanOut/${instanceId}`,
      method: 'POST',
      params: { name: 'fixtureFanOut', id: instanceId },
      body: { string: JSON.stringify([5, 6]) },
      headers: { 'content-type': 'application/json' },
    });
    const response = (await fn.callback(request, clientContext(t, 'fixtureStartViaClient'))) as {
      jsonBody: { instanceId: string; runtimeStatus: string; name: string };
    };
    expect(response.jsonBody.instanceId).toBe(instanceId);
    expect(response.jsonBody.name).toBe('fixtureFanOut');
    expect(['Pending', 'Running', 'Completed']).toContain(response.jsonBody.runtimeStatus);

    const client = df.getClient(clientContext(t, 'fixtureStartViaClient'));
    const status = await eventually(async () => {
      const s = await client.getStatus(instanceId);
      return s.runtimeStatus === df.OrchestrationRuntimeStatus.Completed ? s : undefined;
    });
    expect(status.output).toEqual({ results: [10, 12], sum: 22 });
    expect(status.createdTime).toBeInstanceOf(Date);
  });

  it('raises an event, refuses a second start of a running id, terminates and purges', async () => {
    const t = await engineUnderTest();
    const client = df.getClient(clientContext(t, 'fixtureStartViaClient'));
    const waiting = await client.startNew('fixtureApproval', { input: 60 * 60 * 1000 });
    await eventually(async () => ((await client.getStatus(waiting)).runtimeStatus === 'Running' ? true : undefined));

    // Durable's default (overridableExistingInstanceStates = NonRunningStates): a running id is not restarted.
    await expect(client.startNew('fixtureApproval', { instanceId: waiting, input: 1 })).rejects.toThrow(/409/);

    await client.raiseEvent(waiting, 'approve', 'alice');
    const approved = await eventually(async () => {
      const s = await client.getStatus(waiting);
      return s.runtimeStatus === 'Completed' ? s : undefined;
    });
    expect(approved.output).toEqual({ approvedBy: 'alice' });

    const other = await client.startNew('fixtureApproval', { input: 60 * 60 * 1000 });
    await eventually(async () => ((await client.getStatus(other)).runtimeStatus === 'Running' ? true : undefined));
    await client.terminate(other, 'no longer needed');
    const terminated = await eventually(async () => {
      const s = await client.getStatus(other);
      return s.runtimeStatus === 'Terminated' ? s : undefined;
    });
    expect(terminated.output).toBe('no longer needed');

    // Lists come from the instances table, written right after each commit (eventually consistent).
    const listed = await eventually(async () => {
      const list = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Terminated] });
      return list.length > 0 ? list : undefined;
    });
    expect(listed.map((s) => s.instanceId)).toEqual([other]);

    expect((await client.purgeInstanceHistory(other)).instancesDeleted).toBe(1);
    await expect(client.getStatus(other)).rejects.toThrow(/404/);
  });

  it('suspends and resumes: an event raised meanwhile waits for the resume', async () => {
    const t = await engineUnderTest();
    const client = df.getClient(clientContext(t, 'fixtureStartViaClient'));
    const id = await client.startNew('fixtureApproval', { input: 60 * 60 * 1000 });
    await eventually(async () => ((await client.getStatus(id)).runtimeStatus === 'Running' ? true : undefined));
    await client.suspend(id, 'maintenance');
    await eventually(async () => ((await client.getStatus(id)).runtimeStatus === 'Suspended' ? true : undefined));
    await client.raiseEvent(id, 'approve', 'bob');
    await t.engine.waitForIdle();
    expect((await client.getStatus(id)).runtimeStatus).toBe('Suspended');
    await client.resume(id, 'done');
    const status = await eventually(async () => {
      const s = await client.getStatus(id);
      return s.runtimeStatus === 'Completed' ? s : undefined;
    });
    expect(status.output).toEqual({ approvedBy: 'bob' });
  });

  it('restarts a finished instance when started again with its id, as the extension does', async () => {
    const t = await engineUnderTest();
    const client = df.getClient(clientContext(t, 'fixtureStartViaClient'));
    const id = randomUUID();
    await client.startNew('fixtureFanOut', { instanceId: id, input: [1] });
    await eventually(async () => ((await client.getStatus(id)).runtimeStatus === 'Completed' ? true : undefined));
    await client.startNew('fixtureFanOut', { instanceId: id, input: [2, 3] });
    const again = await eventually(async () => {
      const s = await client.getStatus(id);
      return s.runtimeStatus === 'Completed' && (s.output as { sum: number }).sum === 10 ? s : undefined;
    });
    expect(again.input).toEqual([2, 3]);
  });

  it('answers 404 for unknown instances and 400 for unknown orchestrators', async () => {
    const t = await engineUnderTest();
    expect((await fetch(`${t.rpcBaseUrl}instances/nope`)).status).toBe(404);
    expect((await fetch(`${t.rpcBaseUrl}orchestrators/noSuchOrchestrator`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${t.rpcBaseUrl}instances/nope/raiseEvent/x`, { method: 'POST', body: '1' })).status).toBe(404);
    expect(await t.engine.handleRpc({ url: '/api/other', method: 'GET' } as never, {} as never)).toBe(false);
  });
});

describe('a new engine on the same task hub', () => {
  it('resumes an orchestration the stopped engine left waiting on a timer', async () => {
    const clock = new OffsetClock();
    const restore = installClock(clock);
    try {
      const before = await engineUnderTest();
      const runId = randomUUID();
      const id = await start(before, 'fixtureTwoStepsAndTimer', { runId, delayMs: 60 * 60 * 1000 });
      await eventually(async () => ((await eventTypes(before, id)).includes(T.TimerCreated) ? true : undefined));
      await before.engine.waitForIdle();
      await before.stop();
      running.splice(running.indexOf(before), 1);

      const after = await startTestEngine({ registry, account, hubName: before.hubName });
      running.push(after);
      clock.advance(60 * 60 * 1000 + 1000);
      const status = await finished(after, id);
      expect(status.runtimeStatus).toBe('Completed');
      expect(await stepRows(runId)).toEqual(['first', 'second']);
      expect(count(await eventTypes(after, id), T.TimerFired)).toBe(1);
    } finally {
      restore();
    }
  });
});

describe('two engines on one task hub', () => {
  it('apply every result exactly once while racing for the same instances', async () => {
    // Both sweep often, so each reconciles every in-flight instance, whichever engine started it.
    const a = await engineUnderTest({ sweepIntervalMs: 50 });
    const b = await startTestEngine({ registry, account, hubName: a.hubName, overrides: { sweepIntervalMs: 50 } });
    running.push(b);

    const inputs = Array.from({ length: 4 }, (_, i) => Array.from({ length: 10 }, (_, j) => i * 10 + j));
    const ids = await Promise.all(inputs.map((input, i) => start(i % 2 === 0 ? a : b, 'fixtureFanOut', input)));
    for (const [i, id] of ids.entries()) {
      const status = await finished(i % 2 === 0 ? b : a, id);
      expect(status.runtimeStatus).toBe('Completed');
      const expected = inputs[i]!.map((n) => n * 2);
      expect(status.output).toEqual({ results: expected, sum: expected.reduce((x, y) => x + y, 0) });
      const types = await eventTypes(a, id);
      expect(count(types, T.TaskScheduled)).toBe(10);
      expect(count(types, T.TaskCompleted)).toBe(10);
      expect(count(types, T.ExecutionCompleted)).toBe(1);
    }
  });
});

describe('storage failures and leases', () => {
  const historyTable = (t: TestEngine) => account.table(hubTables(t.hubName).history);

  async function rowKeys(t: TestEngine, instanceId: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const row of historyTable(t).listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${instanceId}` },
    })) {
      if (row.rowKey?.startsWith(prefix)) keys.push(row.rowKey);
    }
    return keys;
  }

  it('keeps an activity lease through a renewal that met a moved ETag, so the activity runs once', async () => {
    const logs: string[] = [];
    const t = await startTestEngine({ registry, account, logs, overrides: { activityLeaseMs: 900 } });
    running.push(t);
    const key = randomUUID();
    const id = await start(t, 'fixtureHeldOnce', key);
    await eventually(() => heldActivity.starts.get(key) === 1);
    const [workKey] = await rowKeys(t, id, 'work:');
    // Someone else's write (or our own renewal whose answer was lost) moves the row's ETag on.
    await historyTable(t).updateEntity({ partitionKey: id, rowKey: workKey!, touchedByTest: 1 }, 'Merge');
    await eventually(() => logs.some((line) => line.includes(LEASE_KEPT)));
    // Renewals go on after it: the lease's expiry keeps moving forward while the activity is held.
    const leaseUntil = async () => Number((await historyTable(t).getEntity(id, workKey!))['leaseUntilMs']);
    const kept = await leaseUntil();
    await eventually(async () => (await leaseUntil()) > kept);
    heldActivity.release(key);

    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(`released:${key}`);
    expect(heldActivity.starts.get(key)).toBe(1);
    expect(logs.filter((line) => line.includes('result discarded'))).toEqual([]);
  });

  it('fails the orchestration, with the reason, when a history row cannot be read, instead of retrying forever', async () => {
    const logs: string[] = [];
    const t = await startTestEngine({ registry, account, logs });
    running.push(t);
    const id = await start(t, 'fixtureApproval', 60 * 60 * 1000);
    await eventually(async () => ((await t.engine.getStatus(id))?.runtimeStatus === 'Running' ? true : undefined));
    await t.engine.waitForIdle();
    const [page] = await rowKeys(t, id, 'page:');
    await historyTable(t).updateEntity({ partitionKey: id, rowKey: page!, events_0: '{not json' }, 'Merge');

    expect(await t.engine.client.raiseEvent(id, 'approve', JSON.stringify('alice'))).toBe('accepted');
    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toMatch(
      new RegExp(`^Orchestrator function 'fixtureApproval' failed: row ${page} .* is malformed`),
    );
    expect(logs.filter((line) => line.includes('reconcile failed; retrying'))).toEqual([]);
    // The instances index shows it too (lists and the restart sweep read it).
    const listed = await eventually(async () => {
      const rows = await t.engine.client.list({ runtimeStatus: ['Failed'] });
      return rows.some((r) => r.instanceId === id) ? rows : undefined;
    });
    expect(listed.find((r) => r.instanceId === id)?.runtimeStatus).toBe('Failed');
  });

  it('fails the activity, and so the orchestration, when its result is too large to store, instead of re-running it', async () => {
    const t = await engineUnderTest();
    const id = await start(t, 'fixtureHuge', 500_000);
    const status = await finished(t, id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain(
      "Activity function 'fixtureHugeResult' failed: its result cannot be stored",
    );
    const types = await eventTypes(t, id);
    expect(count(types, T.TaskScheduled)).toBe(1);
    expect(count(types, T.TaskFailed)).toBe(1);
  });
});
