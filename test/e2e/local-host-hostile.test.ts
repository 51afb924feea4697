import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHttpServer, startHttpServer } from '../../local/http-server';
import { type HostProcess, sharedAzuriteEnv, startHostProcess, uniqueName } from '../support/host-process';
import { call, eventually } from '../support/http';
import { portOf, type RawResponse, rawGet, rawRequest } from '../support/raw-http';

/**
 * The local host against requests no well-behaved client sends (docs/design.md §14.1): each is refused
 * with a problem document and the host keeps serving. The bounded fuzz run lives in
 * local-host-fuzz.test.ts.
 */
const FUNCTIONS_KEY = 'hostile-functions-key-0123456789';

function expectProblem(res: RawResponse, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json).toMatchObject({ status, code });
}

describe('the real app under hostile requests', () => {
  let host: HostProcess;
  let port: number;
  const stillServing = async () => {
    const health = await call(host.baseUrl, 'GET', '/api/healthz');
    expect(health.status).toBe(200);
    expect(host.child.exitCode).toBeNull();
  };

  beforeAll(async () => {
    // Its own in-memory Azurite, so the banner shows where the host started it.
    host = await startHostProcess(
      sharedAzuriteEnv({
        LOCAL_AZURITE: 'memory',
        LOCAL_AZURITE_BLOB_PORT: '0',
        LOCAL_AZURITE_QUEUE_PORT: '0',
        LOCAL_AZURITE_TABLE_PORT: '0',
        LOCAL_FUNCTIONS_KEY: FUNCTIONS_KEY,
      }),
    );
    port = portOf(host.baseUrl);
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('answers "Host: [" with 400 malformed_request and keeps serving', async () => {
    expectProblem(await rawRequest(port, rawGet('/api/healthz', [], '[')), 400, 'malformed_request');
    await stillServing();
  });

  it('answers a bad percent-escape in the path with 400, not 500', async () => {
    const res = await rawRequest(port, rawGet('/api/v1/api-keys/%zz'));
    expectProblem(res, 400, 'malformed_request');
    expect(res.headers['x-correlation-id']).toBeTruthy();
    expectProblem(await rawRequest(port, rawGet('/api/v1/api-keys/%C0%AF')), 400, 'malformed_request');
    expectProblem(await rawRequest(port, rawGet('/admin/functions/%zz')), 400, 'malformed_request');
    // fetch sends the escape as written, too.
    const viaFetch = await call(host.baseUrl, 'GET', '/api/v1/api-keys/%zz');
    expect(viaFetch.status).toBe(400);
    expect(viaFetch.json.code).toBe('malformed_request');
    await stillServing();
  });

  it('refuses absolute-form and asterisk-form targets, out-of-range ports and a missing Host', async () => {
    const absolute = 'GET http://elsewhere.example/api/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
    expectProblem(await rawRequest(port, absolute), 400, 'malformed_request');
    expectProblem(await rawRequest(port, 'OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n'), 400, 'malformed_request');
    expectProblem(await rawRequest(port, rawGet('/api/healthz', [], 'localhost:99999')), 400, 'malformed_request');
    expectProblem(await rawRequest(port, rawGet('/api/healthz', [], 'a b@c/d')), 400, 'malformed_request');
    expectProblem(await rawRequest(port, rawGet('//elsewhere.example/api/healthz')), 400, 'malformed_request');
    expectProblem(await rawRequest(port, 'GET /api/healthz HTTP/1.1\r\n\r\n'), 400, 'malformed_request');
    // HTTP/1.0 had no Host header; a request without one is still served.
    expect((await rawRequest(port, 'GET /api/healthz HTTP/1.0\r\n\r\n')).status).toBe(200);
    await stillServing();
  });

  it('turns what the HTTP parser rejects into problem documents', async () => {
    const badMethod = await rawRequest(port, 'BREW /api/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expectProblem(badMethod, 400, 'malformed_request');
    expect(badMethod.json.reason).toBe('HPE_INVALID_METHOD');
    expectProblem(
      await rawRequest(port, rawGet('/api/healthz', [`X-Junk: ${'a'.repeat(20_000)}`])),
      431,
      'header_fields_too_large',
    );
    const connectMethod = await rawRequest(
      port,
      'CONNECT elsewhere.example:443 HTTP/1.1\r\nHost: elsewhere.example:443\r\n\r\n',
    );
    expectProblem(connectMethod, 405, 'method_not_allowed');
    const twoLengths =
      'POST /api/v1/api-keys HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab';
    expectProblem(await rawRequest(port, twoLengths), 400, 'malformed_request');
    await stillServing();
  });

  it('refuses an oversized declared body before reading it, and survives a truncated one', async () => {
    const huge = 'POST /api/v1/api-keys HTTP/1.1\r\nHost: localhost\r\nContent-Length: 999999999999\r\n\r\n{"a":';
    expectProblem(await rawRequest(port, huge), 413, 'payload_too_large');
    const truncated = await rawRequest(
      port,
      'POST /api/v1/api-keys HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"na',
      { halfClose: true },
    );
    expect(truncated.status === undefined || truncated.status === 400).toBe(true);
    await stillServing();
  });

  it('requires the functions key on /admin/* and the durable webhooks when one is set', async () => {
    expectProblem(await rawRequest(port, rawGet('/admin/host/status')), 401, 'function_key_invalid');
    expectProblem(await rawRequest(port, rawGet('/ADMIN/host/status')), 401, 'function_key_invalid');
    const durablePath = '/runtime/webhooks/durabletask/instances/nobody';
    expectProblem(await rawRequest(port, rawGet(durablePath)), 401, 'function_key_invalid');
    expectProblem(await rawRequest(port, rawGet(`${durablePath}?code=wrong-key`)), 401, 'function_key_invalid');
    expectProblem(await rawRequest(port, rawGet(`/_host/guessed-token${durablePath}`)), 401, 'function_key_invalid');
    const withHeader = await call(host.baseUrl, 'GET', '/admin/host/status', {
      headers: { 'x-functions-key': FUNCTIONS_KEY },
    });
    expect(withHeader.status).toBe(200);
    expect((await call(host.baseUrl, 'GET', `/admin/host/status?code=${FUNCTIONS_KEY}`)).status).toBe(200);
    expect((await call(host.baseUrl, 'GET', `${durablePath}?code=${FUNCTIONS_KEY}`)).status).toBe(404);
  });

  it('binds the host and its Azurite to loopback', async () => {
    expect(host.output()).toMatch(/tables at http:\/\/127\.0\.0\.1:\d+/);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    // A machine without a non-loopback interface has nothing further to prove.
    if (external) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect(port, external);
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect(outcome).toBe('ECONNREFUSED');
    }
  });
});

describe('errors a function leaves behind', () => {
  let host: HostProcess;

  beforeAll(async () => {
    host = await startHostProcess(
      sharedAzuriteEnv({
        LOCAL_FUNCTIONS_GLOB: 'dist/test/fixtures/hostile-app/*.js',
        LOCAL_FUNCTIONS_KEY: FUNCTIONS_KEY,
      }),
    );
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('fail only their request: an uncaught exception answers 500 and the host keeps serving', async () => {
    const res = await call(host.baseUrl, 'GET', '/api/hostile/throw-later');
    expect(res.status).toBe(500);
    expect(res.json.code).toBe('internal_error');
    expect(host.output()).toContain('uncaught exception in a request');
    expect((await call(host.baseUrl, 'GET', '/api/hostile/ok')).status).toBe(200);
  });

  it('fail only their request: an unhandled rejection answers 500 and the host keeps serving', async () => {
    const res = await call(host.baseUrl, 'GET', '/api/hostile/reject-later');
    expect(res.status).toBe(500);
    expect(host.output()).toContain('unhandled rejection in a request');
    expect((await call(host.baseUrl, 'GET', '/api/hostile/ok')).status).toBe(200);
  });

  it('let the app durable client reach the keyed durable webhooks through its capability path', async () => {
    const instanceId = uniqueName('hostile-');
    expect((await call(host.baseUrl, 'POST', `/api/hostile/orchestrations/${instanceId}`)).status).toBe(202);
    const done = await eventually(async () => {
      const status = await call(host.baseUrl, 'GET', `/api/hostile/orchestrations/${instanceId}`);
      return status.json.runtimeStatus === 'Completed' ? status.json : undefined;
    }, 20_000);
    expect(done.output).toBe(`echo:${instanceId}`);
    // The capability token in the webhook URLs opens the durable webhooks and nothing else.
    const check = await call(host.baseUrl, 'GET', `/api/hostile/orchestrations/${instanceId}/check`);
    const statusUri = String(check.json.statusQueryGetUri);
    expect(statusUri).toMatch(/\/_host\/[A-Za-z0-9_-]+\/runtime\/webhooks\/durabletask\/instances\//);
    expect((await fetch(statusUri)).status).toBe(200);
    const token = /\/_host\/([A-Za-z0-9_-]+)\//.exec(statusUri)![1]!;
    expectProblem(
      await rawRequest(portOf(host.baseUrl), rawGet(`/_host/${token}/admin/host/status`)),
      404,
      'route_not_found',
    );
    expect(host.output()).not.toContain(token);
  });
});

describe('an error outside any request', () => {
  it('stops the host with exit code 70 after logging it', async () => {
    const host = await startHostProcess(
      sharedAzuriteEnv({ LOCAL_FUNCTIONS_GLOB: 'dist/test/fixtures/hostile-app/*.js' }),
    );
    try {
      expect((await call(host.baseUrl, 'POST', '/api/hostile/throw-outside')).status).toBe(202);
      expect(await host.exited).toBe(70);
      expect(host.output()).toContain('uncaught exception outside any request; stopping the host');
    } finally {
      await host.kill();
    }
  });
});

describe('slow clients', () => {
  // The server itself, in-process, with limits short enough to reach in a test (the host uses 15 s / 120 s).
  let server: RunningHttpServer;

  beforeAll(async () => {
    server = await startHttpServer({
      port: 0,
      functions: [],
      hostEndpoints: [
        {
          prefix: '/upload/',
          handle: async (_req, res, body) => {
            res.writeHead(200).end(String(body.length));
            return true;
          },
        },
      ],
      headersTimeoutMs: 300,
      requestTimeoutMs: 600,
      log: () => undefined,
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('are cut off with 408 when their headers never finish', async () => {
    const res = await rawRequest(server.port, 'GET /upload/x HTTP/1.1\r\nHost: localhost\r\nX-Slow: a');
    expectProblem(res, 408, 'request_timeout');
  });

  it('are cut off with 408 when their body never finishes, and the server keeps serving', async () => {
    const res = await rawRequest(
      server.port,
      'POST /upload/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nab',
    );
    expectProblem(res, 408, 'request_timeout');
    const whole = await rawRequest(
      server.port,
      'POST /upload/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nab',
    );
    expect(whole.status).toBe(200);
    expect(whole.body).toBe('2');
  });
});
