import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { connector } from '../../shared/vendors/halopsa';
import { FAKE_CREDENTIALS, fakeConfig } from '../fakes/core/all-fakes';
import type { FakeVendorServer } from '../fakes/core/fake-server';
import { fakeSession } from '../fakes/core/session';
import { createHaloFake, HALO_FAKE_CREDENTIALS, HALO_FAKE_TOKEN_SECONDS } from '../fakes/halopsa';
import { expectVendorError, onlyRequest, probeFaultCases } from '../support/vendor-connector-kit';

let server: FakeVendorServer;
let baseUrl: string;

beforeAll(async () => {
  server = createHaloFake();
  baseUrl = await server.start();
});
afterEach(() => server.reset());
afterAll(() => server.stop());

const session = (options: { credentials?: object; timeoutMs?: number; integrationId?: string; scope?: string } = {}) =>
  fakeSession(
    'halopsa',
    connector,
    options.credentials ?? HALO_FAKE_CREDENTIALS,
    {
      baseUrl,
      ...(options.scope ? { scope: options.scope } : {}),
    },
    options,
  );

describe('Halo PSA connector against its fake', () => {
  it('probes with good credentials: a form client_credentials token, then one paged client read', async () => {
    const result = await connector.probe(session());
    expect(result.notes?.[0]).toContain('2 clients');

    const token = onlyRequest(server, 'POST', '/auth/token');
    expect(token.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: HALO_FAKE_CREDENTIALS.clientId,
      client_secret: HALO_FAKE_CREDENTIALS.clientSecret,
      scope: 'all',
    });
    const probe = onlyRequest(server, 'GET', '/api/Client');
    expect(probe.query).toEqual({ pageinate: 'true', page_size: '1', page_no: '1' });
    expect(probe.headers.authorization).toMatch(/^Bearer halo-/);
  });

  it('sends the configured scopes', async () => {
    await connector.probe(session({ scope: 'read:tickets read:customers' }));
    expect(new URLSearchParams(onlyRequest(server, 'POST', '/auth/token').body).get('scope')).toBe(
      'read:tickets read:customers',
    );
  });

  it('bad credentials are kind auth with Halo’s message verbatim, one token request and no probe', async () => {
    const error = await expectVendorError(
      connector.probe(session({ credentials: { ...HALO_FAKE_CREDENTIALS, clientSecret: 'wrong' } })),
      'auth',
    );
    expect(error.vendorMessage).toBe('invalid_client');
    expect(error.httpStatus).toBe(400);
    expect(error.retryable).toBe(false);
    expect(server.count('POST', '/auth/token')).toBe(1);
    expect(server.count('GET', '/api/Client')).toBe(0);
  });

  it('reuses the token until shortly before expiry, then fetches a new one (injected clock)', async () => {
    const clock = new ManualClock();
    const restore = installClock(clock);
    try {
      const integrationId = `int-halo-expiry-${randomUUID()}`;
      await connector.probe(session({ integrationId }));
      clock.advance((HALO_FAKE_TOKEN_SECONDS - 600) * 1000);
      await connector.probe(session({ integrationId }));
      expect(server.count('POST', '/auth/token')).toBe(1);
      clock.advance(590 * 1000); // inside the refresh margin (10% of an hour)
      await connector.probe(session({ integrationId }));
      expect(server.count('POST', '/auth/token')).toBe(2);
      expect(server.count('GET', '/api/Client')).toBe(3);
    } finally {
      restore();
    }
  });

  it('a 401 with a cached token drops it, so the next probe signs in again', async () => {
    const integrationId = `int-halo-401-${randomUUID()}`;
    await connector.probe(session({ integrationId }));
    server.injectFault({ kind: 'status', status: 401 }, { path: '/api/Client', times: 1 });
    const error = await expectVendorError(connector.probe(session({ integrationId })), 'auth');
    expect(error.vendorMessage).toBe('Unauthorized');
    expect(server.count('POST', '/auth/token')).toBe(1);
    await connector.probe(session({ integrationId }));
    expect(server.count('POST', '/auth/token')).toBe(2);
  });

  it('a token endpoint outage is kind unavailable and is not retried', async () => {
    server.injectFault({ kind: 'status', status: 503 }, { path: '/auth/token' });
    const error = await expectVendorError(connector.probe(session()), 'unavailable');
    expect(error.operation).toBe('token');
    expect(server.count('POST', '/auth/token')).toBe(1);
  });

  it('a 200 that is not a client list is kind bad_response', async () => {
    server.injectFault({ kind: 'status', status: 200, body: '<html>login</html>' }, { path: '/api/Client' });
    await expectVendorError(connector.probe(session()), 'bad_response');
  });

  it('the registered fake accepts its published credentials with its published config (npm start, README tour)', async () => {
    const result = await connector.probe(
      fakeSession('halopsa', connector, FAKE_CREDENTIALS.halopsa, fakeConfig('halopsa', baseUrl)),
    );
    expect(result.notes?.length).toBeGreaterThan(0);
  });

  probeFaultCases(it, {
    server: () => server,
    probe: (options) => connector.probe(session(options)),
    probePath: '/api/Client',
  });
});
