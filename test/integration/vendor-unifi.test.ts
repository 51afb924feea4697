import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connector, unifiPrivateHost } from '../../shared/vendors/unifi';
import { unifiRestartRequest } from '../../shared/vendors/unifi/api';
import type { UnifiNetworkConfig } from '../../shared/vendors/unifi/config';
import { FAKE_CREDENTIALS, fakeConfig } from '../fakes/core/all-fakes';
import type { FakeVendorServer } from '../fakes/core/fake-server';
import { fakeSession } from '../fakes/core/session';
import {
  createUnifiFake,
  UNIFI_FAKE_CREDENTIALS,
  UNIFI_FAKE_DEVICE_ID,
  UNIFI_FAKE_SITE_ID,
  UNIFI_FAKE_VERSION,
} from '../fakes/unifi';
import { expectVendorError, onlyRequest, probeFaultCases } from '../support/vendor-connector-kit';

let server: FakeVendorServer;
let baseUrl: string;

beforeAll(async () => {
  server = createUnifiFake();
  baseUrl = await server.start();
});
afterEach(() => server.reset());
afterAll(() => server.stop());

const NETWORK = '/proxy/network/integration/v1';

const siteManager = (options: { credentials?: object; timeoutMs?: number } = {}) =>
  fakeSession('unifi', connector, options.credentials ?? UNIFI_FAKE_CREDENTIALS, { baseUrl }, options);
const network = (options: { credentials?: object; timeoutMs?: number } = {}) =>
  fakeSession(
    'unifi',
    connector,
    options.credentials ?? UNIFI_FAKE_CREDENTIALS,
    { mode: 'network', consoleUrl: baseUrl },
    options,
  );

describe('UniFi connector against its fake: Site Manager', () => {
  it('probes GET /v1/hosts?pageSize=1 with X-API-Key', async () => {
    const result = await connector.probe(siteManager());
    expect(result.notes?.[0]).toContain('at least one console');
    const probe = onlyRequest(server, 'GET', '/v1/hosts');
    expect(probe.query).toEqual({ pageSize: '1' });
    expect(probe.headers['x-api-key']).toBe(UNIFI_FAKE_CREDENTIALS.apiKey);
  });

  it('a bad key is kind auth with the Site Manager’s message and code, sent once', async () => {
    const error = await expectVendorError(connector.probe(siteManager({ credentials: { apiKey: 'nope' } })), 'auth');
    expect(error.vendorMessage).toBe('unauthorized');
    expect(error.vendorCode).toBe('unauthorized');
    expect(server.count('GET', '/v1/hosts')).toBe(1);
  });

  it('the registered fake accepts its published credentials with its published config (npm start, README tour)', async () => {
    const result = await connector.probe(
      fakeSession('unifi', connector, FAKE_CREDENTIALS.unifi, fakeConfig('unifi', baseUrl)),
    );
    expect(result.notes?.length).toBeGreaterThan(0);
  });

  probeFaultCases(it, {
    server: () => server,
    probe: (options) => connector.probe(siteManager(options)),
    probePath: '/v1/hosts',
  });
});

describe('UniFi connector against its fake: local Network integration API', () => {
  it('probes GET /proxy/network/integration/v1/info with X-API-KEY and reports the version', async () => {
    const result = await connector.probe(network());
    expect(result.notes?.[0]).toContain(UNIFI_FAKE_VERSION);
    const probe = onlyRequest(server, 'GET', `${NETWORK}/info`);
    expect(probe.headers['x-api-key']).toBe(UNIFI_FAKE_CREDENTIALS.apiKey);
  });

  it('a bad key is kind auth with the console’s message, sent once', async () => {
    const error = await expectVendorError(connector.probe(network({ credentials: { apiKey: 'nope' } })), 'auth');
    expect(error.vendorMessage).toBe('Missing or invalid API key');
    expect(error.vendorCode).toBe('UNAUTHORIZED');
    expect(server.count('GET', `${NETWORK}/info`)).toBe(1);
  });

  it('reads older consoles’ error bodies too', async () => {
    server.injectFault(
      { kind: 'status', status: 401, body: { error: { code: 401, message: 'Invalid API key' } } },
      { path: `${NETWORK}/info` },
    );
    const error = await expectVendorError(connector.probe(network()), 'auth');
    expect(error.vendorMessage).toBe('Invalid API key');
  });

  it('restart requests are the documented POST with {"action":"RESTART"}', async () => {
    const session = network();
    const response = await session.http.request(
      unifiRestartRequest(
        session.credentials,
        session.config as UnifiNetworkConfig,
        UNIFI_FAKE_SITE_ID,
        UNIFI_FAKE_DEVICE_ID,
      ),
    );
    expect(response.status).toBe(200);
    const sent = onlyRequest(
      server,
      'POST',
      `${NETWORK}/sites/${UNIFI_FAKE_SITE_ID}/devices/${UNIFI_FAKE_DEVICE_ID}/actions`,
    );
    expect(sent.json).toEqual({ action: 'RESTART' });
    expect(sent.headers['content-type']).toMatch(/^application\/json/);
  });

  it('names the console host a private-address opt-in must allow', () => {
    expect(unifiPrivateHost(network().config)).toBe('127.0.0.1');
    expect(unifiPrivateHost(siteManager().config)).toBeUndefined();
  });

  probeFaultCases(it, {
    server: () => server,
    probe: (options) => connector.probe(network(options)),
    probePath: `${NETWORK}/info`,
  });
});
