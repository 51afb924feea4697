import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, sharedAzuriteEnv, startHostProcess, uniqueName } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * The local host fails where Azure's host fails (docs/runbooks/local-host.md, "Differences from
 * Azure's host"): the front end's 230 s response limit, host.json's functionTimeout (10 minutes
 * here), body forwarding without HTTP streaming, and the empty 404 of an app with no catch-all.
 * LOCAL_TIME_LIMIT_SCALE=100 turns 230 s into 2.3 s and 10 minutes into 6 s; the function under
 * test waits for a signal (POST /api/fixture/release/{id}), never for a clock.
 */
let host: HostProcess;

beforeAll(async () => {
  host = await startHostProcess(
    sharedAzuriteEnv({
      LOCAL_FUNCTIONS_GLOB: 'dist/test/fixtures/host-app/*.js',
      FIXTURE_QUEUE_SUFFIX: uniqueName('l'),
      LOCAL_TIMERS: 'manual',
      LOCAL_TIME_LIMIT_SCALE: '100',
    }),
  );
});

afterAll(async () => {
  await host?.stop();
});

const finished = async (id: string) =>
  ((await call(host.baseUrl, 'GET', `/api/fixture/records/hold-${id}`)).json as unknown as unknown[]).length;

/** A POST whose body goes out chunked: no Content-Length, as a streaming client sends it. */
function chunkedPost(path: string, parts: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${host.baseUrl}${path}`, { method: 'POST' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}

describe('time limits', () => {
  it('past the response limit the client gets 502 and the invocation runs on', async () => {
    const id = uniqueName('slow');
    const answer = await call(host.baseUrl, 'GET', `/api/fixture/hold/${id}`);
    expect(answer.status).toBe(502);
    expect(answer.text).toBe('');
    expect(await finished(id)).toBe(0);
    // Still running: released now, it completes and records it (its response goes nowhere).
    expect((await call(host.baseUrl, 'POST', `/api/fixture/release/${id}`)).status).toBe(204);
    await eventually(async () => ((await finished(id)) === 1 ? true : undefined), 20_000);
    await eventually(() => host.output().includes('a response after the front end limit was discarded'), 20_000);
  });

  it('past functionTimeout the worker is restarted: the late invocation and every other in flight fail', async () => {
    const late = uniqueName('late');
    const other = uniqueName('other');
    const first = call(host.baseUrl, 'GET', `/api/fixture/hold/${late}`);
    const second = call(host.baseUrl, 'GET', `/api/fixture/hold/${other}`);
    expect((await first).status).toBe(502);
    expect((await second).status).toBe(502);
    const line = await eventually(
      async () =>
        host
          .output()
          .split('\n')
          .find((l) => l.includes('function timeout exceeded') && l.includes('fixture-hold')),
      30_000,
    );
    expect(line).toContain('"functionTimeoutMs":6000');
    expect(line).toMatch(/"inFlight":[2-9]/);
    // The host keeps serving after the restart.
    expect((await call(host.baseUrl, 'POST', '/api/fixture/body', { rawBody: 'abc' })).json).toEqual({ bytes: 3 });
  });

  it('a queue-triggered invocation past functionTimeout fails like a worker restart: its message comes back and completes', async () => {
    const runId = uniqueName('queued');
    const sent = await call(host.baseUrl, 'POST', '/api/fixture/messages/hold', {
      body: { messageId: runId, body: { runId } },
    });
    expect(sent.status).toBe(202);
    await eventually(
      async () =>
        host
          .output()
          .split('\n')
          .find((l) => l.includes('function timeout exceeded') && l.includes('fixture-hold-consume')),
      30_000,
    );
    const deliveries = await eventually(async () => {
      const rows = (await call(host.baseUrl, 'GET', `/api/fixture/records/${runId}`)).json as unknown as {
        deliveryCount: number;
      }[];
      return rows.length >= 2 ? rows : undefined;
    }, 60_000);
    expect(deliveries.map((r) => r.deliveryCount).sort()).toEqual([1, 2]);
  });
});

describe('bodies without Content-Length, without HTTP streaming', () => {
  it('a chunked body reaches the function empty, as the host forwards it to an out-of-process worker', async () => {
    const chunked = await chunkedPost('/api/fixture/body', ['{"a":', '1}']);
    expect(chunked.status).toBe(200);
    expect(JSON.parse(chunked.body)).toEqual({ bytes: 0 });
    const sized = await call(host.baseUrl, 'POST', '/api/fixture/body', { rawBody: '{"a":1}' });
    expect(sized.json).toEqual({ bytes: 7 });
  });
});

describe('no route', () => {
  it('without a catch-all function the host answers an empty 404, for an unknown path and for a wrong method', async () => {
    const unknown = await call(host.baseUrl, 'GET', '/api/fixture/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('');
    const wrongMethod = await call(host.baseUrl, 'DELETE', '/api/fixture/body');
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.text).toBe('');
  });
});
