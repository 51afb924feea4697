import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, sharedAzuriteEnv, startHostProcess } from '../support/host-process';
import { call, eventually } from '../support/http';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * Development mode lets vendor and subscription URLs reach loopback (the fake vendors and local
 * receivers live there), but never the hub's own port, where /admin/* and the durable webhooks act
 * for every tenant, nor its Azurite, where every tenant's data is (docs/decisions.md §42). Host
 * endpoints need the functions key.
 */
const env = sharedAzuriteEnv();
const key = env.BOOTSTRAP_API_KEY!;
let host: HostProcess;
const receivers: Receiver[] = [];

/** The origins (http://127.0.0.1:port) of the suite Azurite's blob, queue and table endpoints. */
function azuriteOrigins(): string[] {
  const connection = process.env.TEST_STORAGE_CONNECTION ?? '';
  return [...connection.matchAll(/(?:Blob|Queue|Table)Endpoint=([^;]+)/g)].map((m) => new URL(m[1]!).origin);
}

beforeAll(async () => {
  host = await startHostProcess(env);
}, 90_000);

afterAll(async () => {
  await host?.kill();
  for (const r of receivers) await r.close();
});

const autotaskCredentials = {
  username: 'hub-api@fake-autotask.example',
  secret: 'fake-autotask-secret',
  integrationCode: 'FAKEINTEGRATIONCODE0001',
};

describe('vendor calls never reach the hub itself (development mode)', () => {
  it("an integration test aimed at the host's own port or its Azurite ports is refused before any request", async () => {
    const port = new URL(host.baseUrl).port;
    const targets = [
      host.baseUrl,
      `http://localhost:${port}`,
      `http://[::ffff:127.0.0.1]:${port}`,
      `http://127.0.0.1:${port}/runtime/webhooks/durabletask/instances`,
      ...azuriteOrigins(),
    ];
    expect(targets.length).toBeGreaterThanOrEqual(6);
    for (const baseUrl of targets) {
      const tested = await call(host.baseUrl, 'POST', '/api/v1/integrations/test', {
        key,
        body: { vendor: 'autotask', credentials: autotaskCredentials, config: { baseUrl } },
      });
      expect(tested.status, baseUrl).toBe(200);
      // Refused by the guard: no HTTP status at all (reaching the host would have answered 401/404),
      // and a configuration signal, not a transient network failure.
      expect(tested.json, baseUrl).toMatchObject({ ok: false, status: 'needs_attention', vendorStatus: null });
      expect(tested.text).not.toMatch(/orchestration|instanceId|"Running"|<\?xml|EnumerationResults/i);
    }
  });

  it('a loopback address that is not reserved is still reachable in development (the fakes stay usable)', async () => {
    const other = await startReceiver();
    receivers.push(other);
    const tested = await call(host.baseUrl, 'POST', '/api/v1/integrations/test', {
      key,
      body: { vendor: 'autotask', credentials: autotaskCredentials, config: { baseUrl: new URL(other.url).origin } },
    });
    expect(tested.status).toBe(200);
    // The receiver is no Autotask, but it was asked: the guard let the call through.
    expect(other.received.length).toBeGreaterThan(0);
  });
});

describe('subscriptions never reach the hub itself (development mode)', () => {
  it("creating or updating a subscription aimed at the host's own port or its Azurite is 400 reserved_port", async () => {
    const port = new URL(host.baseUrl).port;
    const urls = [
      `${host.baseUrl}/runtime/webhooks/durabletask/instances/x/terminate?reason=x`,
      `http://localhost:${port}/admin/functions/outbound-start-sweep`,
      ...azuriteOrigins().map((origin) => `${origin}/devstoreaccount1`),
    ];
    for (const url of urls) {
      const created = await call(host.baseUrl, 'POST', '/api/v1/subscriptions', {
        key,
        body: { url, eventTypes: ['ticket.*'] },
      });
      expect(created.status, url).toBe(400);
      expect(created.json, url).toMatchObject({ code: 'outbound_url_blocked', reason: 'reserved_port' });
    }
    const receiver = await startReceiver();
    receivers.push(receiver);
    const created = await call(host.baseUrl, 'POST', '/api/v1/subscriptions', {
      key,
      body: { url: receiver.url, eventTypes: ['ticket.*'] },
    });
    expect(created.status).toBe(201);
    const updated = await call(host.baseUrl, 'PATCH', `/api/v1/subscriptions/${String(created.json.id)}`, {
      key,
      body: { url: `${host.baseUrl}/admin/host/status` },
    });
    expect(updated.status).toBe(400);
    expect(updated.json).toMatchObject({ code: 'outbound_url_blocked', reason: 'reserved_port' });
  });

  it("a delivery redirected to the host's own durable webhooks is refused at that hop", async () => {
    const receiver = await startReceiver((_req, _n, res) => {
      res.writeHead(307, { location: `${host.baseUrl}/runtime/webhooks/durabletask/instances` }).end();
    });
    receivers.push(receiver);
    const created = await call(host.baseUrl, 'POST', '/api/v1/subscriptions', {
      key,
      body: { url: receiver.url, eventTypes: ['ticket.*'] },
    });
    expect(created.status).toBe(201);
    const published = await call(host.baseUrl, 'POST', '/api/v1/events/publish', {
      key,
      body: { type: 'ticket.created', data: { ticketId: 'T-1', title: 'Redirect me' } },
    });
    expect(published.status).toBe(202);
    const listed = await call(host.baseUrl, 'GET', `/api/v1/deliveries?subscriptionId=${String(created.json.id)}`, {
      key,
    });
    const id = (listed.json.items as { id: string }[])[0]!.id;
    const attempt = await eventually(async () => {
      const d = await call(host.baseUrl, 'GET', `/api/v1/deliveries/${id}`, { key });
      const first = (d.json.attempts as { statusCode: number | null; error?: string }[] | undefined)?.[0];
      return first ? first : undefined;
    }, 30_000);
    expect(receiver.received).toHaveLength(1);
    expect(attempt.statusCode).toBeNull();
    expect(attempt.error).toMatch(/own host/);
  });
});

describe('host endpoints need the functions key', () => {
  it('/admin/* and the durable webhooks answer 401 without it and serve with it', async () => {
    for (const path of ['/admin/host/status', '/runtime/webhooks/durabletask/instances']) {
      const without = await call(host.baseUrl, 'GET', path, { functionsKey: null });
      expect(without.status, path).toBe(401);
      expect(without.json.code).toBe('function_key_invalid');
    }
    expect((await call(host.baseUrl, 'GET', '/admin/host/status')).status).toBe(200);
  });
});
