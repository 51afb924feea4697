import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, sharedAzuriteEnv, startHostProcess, uniqueName } from '../support/host-process';
import { call, eventually } from '../support/http';

/** Timers, routing rules and auth levels of the local host, observed over HTTP. */
const FUNCTIONS_KEY = 'fixture-functions-key-0123456789';
const suffix = uniqueName('t');
let host: HostProcess;

beforeAll(async () => {
  host = await startHostProcess(
    sharedAzuriteEnv({
      LOCAL_FUNCTIONS_GLOB: 'dist/test/fixtures/host-app/*.js',
      FIXTURE_QUEUE_SUFFIX: suffix,
      // "every 5 minutes" fires every second
      LOCAL_TIME_SCALE: '300',
      LOCAL_TIMERS: 'schedule',
      LOCAL_FUNCTIONS_KEY: FUNCTIONS_KEY,
    }),
  );
});

afterAll(async () => {
  await host?.stop();
});

const ticks = async () =>
  ((await call(host.baseUrl, 'GET', `/api/fixture/records/tick-${suffix}`)).json as unknown as { kind: string }[])
    .length;

describe('timer triggers', () => {
  it('fire on their NCRONTAB schedule, compressed by LOCAL_TIME_SCALE', async () => {
    await eventually(async () => ((await ticks()) >= 2 ? true : undefined), 20_000);
  });

  it('fire on demand through POST /admin/functions/{name}', async () => {
    const before = await ticks();
    // Host endpoints need the functions key when one is set (docs/design.md §5.1).
    const res = await call(host.baseUrl, 'POST', '/admin/functions/fixture-tick', {
      body: { input: '' },
      headers: { 'x-functions-key': FUNCTIONS_KEY },
    });
    expect(res.status).toBe(202);
    expect(await ticks()).toBeGreaterThanOrEqual(before + 1);
  });

  it('are listed with their schedules in the host status', async () => {
    const status = await call(host.baseUrl, 'GET', '/admin/host/status', {
      headers: { 'x-functions-key': FUNCTIONS_KEY },
    });
    const functions = status.json.functions as {
      name: string;
      trigger: string;
      schedule?: string;
      queueName?: string;
    }[];
    expect(functions).toContainEqual({ name: 'fixture-tick', trigger: 'timerTrigger', schedule: '0 */5 * * * *' });
    expect(functions.find((f) => f.name === 'fixture-once-consume')?.queueName).toBe(`fixture-once-${suffix}`);
    expect(host.output()).toMatch(/fixture-tick\s+timer "0 \*\/5 \* \* \* \*"/);
  });
});

describe('HTTP routing and auth levels', () => {
  it('binds route parameters, honours constraints, optional segments and methods', async () => {
    const full = await call(host.baseUrl, 'GET', '/api/fixture/echo/42/tail?x=1');
    expect(full.status).toBe(200);
    expect(full.json).toEqual({ method: 'GET', params: { id: '42', rest: 'tail' }, query: { x: '1' } });
    const optional = await call(host.baseUrl, 'GET', '/api/FIXTURE/echo/7');
    expect(optional.json.params).toEqual({ id: '7' });
    expect((await call(host.baseUrl, 'GET', '/api/fixture/echo/not-a-number')).status).toBe(404);
    // The host has no 405: a method no route takes is a 404 (this fixture has no catch-all function).
    const wrongMethod = await call(host.baseUrl, 'DELETE', '/api/fixture/echo/42');
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.text).toBe('');
  });

  it('requires the functions key for authLevel function when one is configured', async () => {
    const missing = await call(host.baseUrl, 'GET', '/api/fixture/protected');
    expect(missing.status).toBe(401);
    expect(missing.json.code).toBe('function_key_invalid');
    expect((await call(host.baseUrl, 'GET', `/api/fixture/protected?code=${FUNCTIONS_KEY}`)).status).toBe(200);
    const header = await call(host.baseUrl, 'GET', '/api/fixture/protected', {
      headers: { 'x-functions-key': FUNCTIONS_KEY },
    });
    expect(header.status).toBe(200);
  });
});

describe('start-up failures', () => {
  it('names the busy port and the setting that moves it', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const error = await startHostProcess(
        sharedAzuriteEnv({
          LOCAL_AZURITE: 'memory',
          LOCAL_AZURITE_BLOB_PORT: '0',
          LOCAL_AZURITE_QUEUE_PORT: '0',
          LOCAL_AZURITE_TABLE_PORT: String(port),
        }),
      ).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toContain('exited with 75');
      expect(error?.message).toContain(`Port ${port} (Azurite table service) is already in use`);
      expect(error?.message).toContain('LOCAL_AZURITE_TABLE_PORT');
    } finally {
      blocker.close();
    }
  });

  it('refuses to start with a message naming the bad setting', async () => {
    const error = await startHostProcess(sharedAzuriteEnv({ LOCAL_HTTP_PORT: 'seventy', BUS_MODE: 'pigeon' })).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain('exited with 78');
    expect(error?.message).toContain('LOCAL_HTTP_PORT');
    expect(error?.message).toContain('BUS_MODE');
  });
});
