import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeVendorServer } from '../fakes/core/fake-server';
import {
  createUnifiFake,
  selfSignedConsoleCertificate,
  startUnifiHttpsFront,
  UNIFI_FAKE_CREDENTIALS,
  type UnifiHttpsFront,
} from '../fakes/unifi';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';

/**
 * Certificate pinning for a UniFi console through the API on the local host
 * (docs/decisions.md "UniFi console certificate pinning"): the fake console behind a self-signed
 * https front; the pin is admin-only, visible in the integration, and a wrong pin stops the probe
 * before the console receives a byte of the request.
 */
let host: HostProcess;
let fake: FakeVendorServer;
let front: UnifiHttpsFront;
let certificate: ReturnType<typeof selfSignedConsoleCertificate>;
let adminKey: string;
let writerKey: string;

const INFO = '/proxy/network/integration/v1/info';

beforeAll(async () => {
  certificate = selfSignedConsoleCertificate();
  fake = createUnifiFake();
  await fake.start();
  front = await startUnifiHttpsFront(fake, certificate);
  const env = sharedAzuriteEnv({ LOCAL_TIMERS: 'manual', API_RATE_LIMIT_PER_MINUTE: '100000' });
  adminKey = env.BOOTSTRAP_API_KEY!;
  host = await startHostProcess(env);
  const minted = await call(host.baseUrl, 'POST', '/api/v1/api-keys', {
    key: adminKey,
    body: { name: 'integrations writer', scopes: ['integrations:read', 'integrations:write'] },
  });
  expect(minted.status).toBe(201);
  writerKey = minted.json.key as string;
});

afterAll(async () => {
  await host?.stop();
  await front?.stop();
  await fake?.stop();
});

const consoleConfig = (certificateSha256?: string) => ({
  mode: 'network',
  consoleUrl: front.baseUrl,
  ...(certificateSha256 !== undefined ? { certificateSha256 } : {}),
});

type Status = {
  integrationId: string;
  state: string;
  lastCheckAt: string | null;
  lastError: { hint: string | null } | null;
};

async function recheckAndSettle(integrationId: string, expected: string): Promise<Status> {
  const before = new Date().toISOString();
  const res = await call(host.baseUrl, 'POST', `/api/v1/integrations/${integrationId}/recheck`, { key: adminKey });
  expect(res.status).toBe(202);
  return eventually(
    async () => {
      const status = await call(host.baseUrl, 'GET', '/api/v1/integrations/status', { key: adminKey });
      const item = (status.json.items as Status[]).find((i) => i.integrationId === integrationId);
      return item && item.state === expected && item.lastCheckAt !== null && item.lastCheckAt >= before
        ? item
        : undefined;
    },
    30_000,
    200,
  );
}

describe('a UniFi console with a self-signed certificate, over HTTP', () => {
  it('without a pin the test says needs_attention and how to read and where to put the fingerprint', async () => {
    const res = await call(host.baseUrl, 'POST', '/api/v1/integrations/test', {
      key: writerKey,
      body: { vendor: 'unifi', credentials: UNIFI_FAKE_CREDENTIALS, config: consoleConfig() },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: false, status: 'needs_attention' });
    expect(res.json.hint).toContain('certificateSha256');
    expect(res.json.hint).toContain('SHA-256 fingerprint');
    expect(fake.count('GET', INFO)).toBe(0);
  });

  it('a key without admin cannot set or test a pin (403)', async () => {
    const created = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
      key: writerKey,
      body: {
        vendor: 'unifi',
        name: 'console',
        credentials: UNIFI_FAKE_CREDENTIALS,
        config: consoleConfig(certificate.sha256),
      },
    });
    expect(created.status).toBe(403);
    expect(created.json).toMatchObject({ code: 'insufficient_scope', requiredScope: 'admin' });
    const tested = await call(host.baseUrl, 'POST', '/api/v1/integrations/test', {
      key: writerKey,
      body: { vendor: 'unifi', credentials: UNIFI_FAKE_CREDENTIALS, config: consoleConfig(certificate.sha256) },
    });
    expect(tested.status).toBe(403);
    expect(fake.count('GET', INFO)).toBe(0);
  });

  it('an admin pins it: connected; a wrong pin is refused and the console receives nothing', async () => {
    const created = await call(host.baseUrl, 'POST', '/api/v1/integrations', {
      key: adminKey,
      body: {
        vendor: 'unifi',
        name: 'console',
        credentials: UNIFI_FAKE_CREDENTIALS,
        // Lower case without colons, as some tools print it; stored the way browsers show it.
        config: consoleConfig(certificate.sha256.replace(/:/g, '').toLowerCase()),
      },
    });
    expect(created.status).toBe(201);
    expect(created.json.config).toMatchObject({ certificateSha256: certificate.sha256 });
    expect(created.json.test).toMatchObject({ ok: true, status: 'connected' });
    const id = created.json.id as string;
    await recheckAndSettle(id, 'connected');
    expect(fake.requests.at(-1)?.headers['x-api-key']).toBe(UNIFI_FAKE_CREDENTIALS.apiKey);

    // A writer may not move the pin, even to another value.
    const wrong = selfSignedConsoleCertificate('Impostor').sha256;
    const byWriter = await call(host.baseUrl, 'PATCH', `/api/v1/integrations/${id}?skipTest=true`, {
      key: writerKey,
      body: { config: consoleConfig(wrong) },
    });
    expect(byWriter.status).toBe(403);

    const byAdmin = await call(host.baseUrl, 'PATCH', `/api/v1/integrations/${id}?skipTest=true`, {
      key: adminKey,
      body: { config: consoleConfig(wrong) },
    });
    expect(byAdmin.status).toBe(200);
    const requestsBefore = fake.requests.length;
    const bytesBefore = front.applicationBytes;
    const status = await recheckAndSettle(id, 'needs_attention');
    expect(status.lastError?.hint).toContain('not the pinned one');
    expect(fake.requests.length).toBe(requestsBefore);
    expect(front.applicationBytes).toBe(bytesBefore);
  });
});
