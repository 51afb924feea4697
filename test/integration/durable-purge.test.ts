import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionRegistry } from '../../local/registry';
import { nowMs } from '../../shared/clock';
import { purgeDurableHistory } from '../../shared/outbound/durable-purge';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { startTestEngine, type TestEngine } from '../fixtures/durable-app/harness';
import { loadFixtureApp } from '../fixtures/durable-app/load';
import { eventually } from '../support/http';

/**
 * Task hub purge: the app's timer calls the durable client's `purgeInstanceHistoryBy` with the
 * finished states and a creation cutoff; the local engine answers it as the extension does.
 */
const connection = process.env.TEST_STORAGE_CONNECTION!;
const account = storageAccountFromConnectionString(connection);
const DAY_MS = 86_400_000;
let registry: FunctionRegistry;
const running: TestEngine[] = [];

beforeAll(async () => {
  process.env.DURABLE_FIXTURE_STORAGE = connection;
  registry = await loadFixtureApp();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
});

function clientOf(t: TestEngine): df.DurableClient {
  const fn = registry.get('fixtureStartViaClient')!;
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: fn.name,
    options: { trigger: fn.trigger, extraInputs: fn.extraInputs, extraOutputs: [] },
  });
  for (const input of fn.extraInputs) {
    if (input.type === 'durableClient') context.extraInputs.set(input.name, t.engine.clientBindingData());
  }
  return df.getClient(context);
}

async function reaches(client: df.DurableClient, id: string, status: string) {
  return eventually(async () => ((await client.getStatus(id)).runtimeStatus === status ? true : undefined), 20_000);
}

describe('durable task hub purge', () => {
  it('purges finished instances created before the retention cutoff; running and newer ones stay', async () => {
    const t = await startTestEngine({ registry, account });
    running.push(t);
    const client = clientOf(t);

    const completedOld = await client.startNew('fixtureCounter', { input: 3 });
    const failedOld = await client.startNew('fixtureFailing', { input: 'no luck' });
    const terminatedOld = await client.startNew('fixtureApproval', { input: 60 * 60 * 1000 });
    const runningOld = await client.startNew('fixtureApproval', { input: 60 * 60 * 1000 });
    await reaches(client, completedOld, 'Completed');
    await reaches(client, failedOld, 'Failed');
    await reaches(client, terminatedOld, 'Running');
    await client.terminate(terminatedOld, 'not needed');
    await reaches(client, terminatedOld, 'Terminated');
    await reaches(client, runningOld, 'Running');

    // The cutoff lies between the old instances and the new one (creation times on the same clock).
    const cutoff = nowMs();
    await eventually(async () => (nowMs() > cutoff ? true : undefined));
    const completedNew = await client.startNew('fixtureCounter', { input: 3 });
    await reaches(client, completedNew, 'Completed');

    // "Now" is 30 days after the cutoff, so with 30 days' retention the cutoff is exactly `cutoff`.
    const first = await purgeDurableHistory(client, 30, cutoff + 30 * DAY_MS);
    expect(first).toEqual({ instancesDeleted: 3, createdBefore: new Date(cutoff).toISOString() });
    for (const id of [completedOld, failedOld, terminatedOld]) {
      await expect(client.getStatus(id)).rejects.toThrow(/404/);
    }
    expect((await client.getStatus(runningOld)).runtimeStatus).toBe('Running');
    expect((await client.getStatus(completedNew)).runtimeStatus).toBe('Completed');
    // Their history went too: nothing of a purged instance is left for the engine to load.
    expect(await t.engine.getHistory(completedOld)).toBeUndefined();

    // Nothing left to purge: the extension answers 404, which the client reads as 0.
    expect((await purgeDurableHistory(client, 30, cutoff + 30 * DAY_MS)).instancesDeleted).toBe(0);
  });

  it('answers a purge without createdTimeFrom with 400, as the extension does, and purges nothing', async () => {
    const t = await startTestEngine({ registry, account });
    running.push(t);
    const client = clientOf(t);
    const done = await client.startNew('fixtureCounter', { input: 3 });
    await reaches(client, done, 'Completed');
    const response = await fetch(`${t.rpcBaseUrl}instances/?runtimeStatus=Completed`, { method: 'DELETE' });
    expect(response.status).toBe(400);
    expect((await client.getStatus(done)).runtimeStatus).toBe('Completed');
  });
});
