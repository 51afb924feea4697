import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diskAzuriteEnv, type HostProcess, startHostProcess, uniqueName } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * Durable on the local host, from outside: an orchestration with two activities around a timer,
 * started and watched over HTTP through the real durable-functions client. The host is killed with
 * SIGKILL while the orchestration waits on its timer and restarted on the same disk-backed Azurite.
 */
interface StepRecord {
  kind: string;
}

const dirs: string[] = [];
const hosts: HostProcess[] = [];
afterAll(async () => {
  for (const h of hosts) await h.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function diskHostEnv(location: string, hub: string): Record<string, string> {
  return diskAzuriteEnv(location, {
    LOCAL_FUNCTIONS_GLOB: 'dist/test/fixtures/host-app/*.js',
    FIXTURE_QUEUE_SUFFIX: uniqueName('d'),
    // 10 virtual minutes of timer take 10 s.
    LOCAL_TIME_SCALE: '60',
    DURABLE_TASK_HUB: hub,
  });
}

async function start(env: Record<string, string>): Promise<HostProcess> {
  const host = await startHostProcess(env);
  hosts.push(host);
  return host;
}

const status = async (host: HostProcess, id: string) =>
  (await call(host.baseUrl, 'GET', `/api/fixture/orchestrations/${id}`)).json as {
    runtimeStatus?: string;
    output?: unknown;
    customStatus?: unknown;
  };
const steps = async (host: HostProcess, id: string) =>
  ((await call(host.baseUrl, 'GET', `/api/fixture/records/${id}`)).json as unknown as StepRecord[]).map((r) => r.kind);

describe('durable orchestrations on the local host', () => {
  it('survives a kill mid-timer: after a restart the orchestration completes exactly once', async () => {
    const location = mkdtempSync(join(tmpdir(), 'hub-durable-'));
    dirs.push(location);
    const env = diskHostEnv(location, uniqueName('Hub'));
    const instanceId = uniqueName('orch');

    const first = await start(env);
    expect((await call(first.baseUrl, 'POST', `/api/fixture/orchestrations/${instanceId}`)).status).toBe(202);
    await eventually(async () =>
      (await status(first, instanceId)).customStatus === 'waiting-on-timer' ? true : undefined,
    );
    expect((await status(first, instanceId)).runtimeStatus).toBe('Running');
    await first.kill();

    // Restart at once: the new host waits for the old Azurite to finish flushing the folder.
    const second = await start(env);
    // The state survived on disk and the timer had not fired when the first host died.
    expect(await steps(second, instanceId)).toEqual(['step:before']);
    const done = await eventually(async () => {
      const s = await status(second, instanceId);
      return s.runtimeStatus === 'Completed' ? s : undefined;
    }, 45_000);
    expect(done.output).toBe('before+after');
    const executed = await steps(second, instanceId);
    expect(executed.filter((k) => k === 'step:before')).toHaveLength(1);
    expect(executed.filter((k) => k === 'step:after')).toHaveLength(1);
    // Starting it again is a no-op: the instance id is taken and completed.
    expect((await call(second.baseUrl, 'POST', `/api/fixture/orchestrations/${instanceId}`)).status).toBe(202);
    // A restart would have replaced the instance before the 202 (Pending), and only then run steps.
    expect((await status(second, instanceId)).runtimeStatus).toBe('Completed');
    expect((await steps(second, instanceId)).length).toBe(2);
    await second.stop();
  }, 120_000);
});
