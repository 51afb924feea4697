import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { FailureGroups } from '../../shared/analytics/failure-groups';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import type { Settings } from '../../shared/config/settings';
import { buildDashboard } from '../../shared/dashboard/dashboard';
import { resolveCatalogEntry } from '../../shared/error-catalog/catalog';
import { type DnsLookup, type NetworkPolicy, networkPolicyFromSettings } from '../../shared/net/guard';
import { closeGuardedAgents, guardedFetch } from '../../shared/net/guarded-fetch';
import { runManualAttempt } from '../../shared/outbound/attempt';
import { getDelivery } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { classifyNetworkFailure, type NetworkFailureCode, networkCodeOf } from '../../shared/outbound/network-failure';
import { publishToSubscribers } from '../../shared/outbound/publish';
import { createSubscription } from '../../shared/outbound/subscriptions';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { selfSignedConsoleCertificate } from '../fakes/unifi';
import { outboundDeps } from '../support/outbound-deps';

/**
 * Each way an outbound call can fail without an HTTP answer, produced for real on loopback: a
 * closed port, a server that drops the connection, a self-signed TLS server, a name the resolver
 * does not know, a server that never answers, and an address the SSRF guard refuses. Each is
 * classified to its own code, stored on the delivery attempt, counted, and listed by the
 * dashboard's errorsByCode with its catalog entry (docs/decisions.md §62).
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const production = networkPolicyFromSettings({ HUB_ENVIRONMENT: 'production' } as Settings);
/** Production's rules with plain http and loopback allowed: loopback servers stand in for receivers. */
const loopback: NetworkPolicy = { ...production, allowHttp: true, allowLoopback: true };
const counters = new Counters(counterTables(account));

/** A resolver the test controls; names can be removed, like a deleted DNS record. */
const records = new Map<string, string>();
const zone: DnsLookup = async (host) => {
  const address = records.get(host);
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return [{ address, family: 4 }];
};

const servers: Array<HttpServer | NetServer> = [];
const sockets = new Set<Socket>();
async function listen<T extends HttpServer | NetServer>(server: T): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

let closedPort = 0;
let resetPort = 0;
let tlsPort = 0;
let silentPort = 0;
let redirectPort = 0;

beforeAll(async () => {
  // A port that was just listened on and closed: nothing accepts there.
  const gone = createNetServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  closedPort = (gone.address() as AddressInfo).port;
  await new Promise<void>((resolve) => gone.close(() => resolve()));
  // Accepts, reads the request, then resets the connection without answering.
  resetPort = await listen(
    createNetServer((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
    }),
  );
  const cert = selfSignedConsoleCertificate('receiver.test');
  const tls = createTlsServer({ key: cert.key, cert: cert.cert }, (socket) => socket.end());
  // The client rejecting the certificate ends the handshake: expected here.
  tls.on('tlsClientError', () => undefined);
  tlsPort = await listen(tls);
  // Accepts and never answers: the attempt's own deadline ends it.
  silentPort = await listen(createNetServer(() => undefined));
  redirectPort = await listen(
    createHttpServer((_req, res) => {
      res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data' });
      res.end();
    }),
  );
});

afterAll(async () => {
  await closeGuardedAgents();
  for (const socket of sockets) socket.destroy();
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function classify(url: string, timeoutMs = 10_000): Promise<NetworkFailureCode | undefined> {
  const error = await guardedFetch(url, { method: 'POST', body: '{}', timeoutMs, policy: loopback, dnsLookup: zone })
    .then(() => undefined)
    .catch((e: unknown) => e);
  return classifyNetworkFailure(error)?.code;
}

describe('classifying outbound transport failures on real connections', () => {
  it('a closed port is refused', async () => {
    expect(await classify(`http://127.0.0.1:${closedPort}/hook`)).toBe('refused');
  });

  it('a connection dropped after the request is a reset', async () => {
    expect(await classify(`http://127.0.0.1:${resetPort}/hook`)).toBe('reset');
  });

  it('a self-signed certificate is a TLS failure', async () => {
    expect(await classify(`https://127.0.0.1:${tlsPort}/hook`)).toBe('tls');
  });

  it('a name that does not resolve is a DNS failure', async () => {
    expect(await classify('http://nowhere.invalid/hook')).toBe('dns');
  });

  it('no answer before the deadline is a timeout', async () => {
    expect(await classify(`http://127.0.0.1:${silentPort}/hook`, 200)).toBe('timeout');
  });

  it('an address the guard refuses (here behind a redirect) is ssrf_blocked', async () => {
    expect(await classify(`http://127.0.0.1:${redirectPort}/hook`)).toBe('ssrf_blocked');
    const direct = await guardedFetch('http://10.0.0.7/hook', { method: 'GET', timeoutMs: 1000, policy: production })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(classifyNetworkFailure(direct)?.code).toBe('ssrf_blocked');
  });

  it('maps the system and undici codes each family uses', () => {
    const cases: Array<[string | undefined, NetworkFailureCode]> = [
      ['ENOTFOUND', 'dns'],
      ['EAI_AGAIN', 'dns'],
      ['CERT_HAS_EXPIRED', 'tls'],
      ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
      ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
      ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
      ['ECONNREFUSED', 'refused'],
      ['ECONNRESET', 'reset'],
      ['UND_ERR_SOCKET', 'reset'],
      ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
      ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
      ['EHOSTUNREACH', 'network'],
      [undefined, 'network'],
    ];
    for (const [code, expected] of cases) expect(networkCodeOf(code), String(code)).toBe(expected);
    // Anything that is not a transport failure is not classified (it keeps propagating).
    expect(classifyNetworkFailure(new Error('a bug'))).toBeUndefined();
  });
});

function deps(overrides: Partial<OutboundDeps> = {}): OutboundDeps {
  return outboundDeps(account, counters, { policy: loopback, dnsLookup: zone, ...overrides });
}

describe('the code on the attempt, the counters and the dashboard', () => {
  it('each failure is stored on its attempt, counted under its code and listed with its catalog entry', async () => {
    const who: Principal = { tenantId: `t-${randomBytes(5).toString('hex')}`, keyId: 'k', scopes: ['admin'] };
    const d = deps();
    // The name resolves when the subscription is created, then its record is deleted.
    const gone = `gone-${randomBytes(4).toString('hex')}.example.com`;
    records.set(gone, '127.0.0.1');
    const urls: Record<string, string> = {
      refused: `http://127.0.0.1:${closedPort}/hook`,
      reset: `http://127.0.0.1:${resetPort}/hook`,
      tls: `https://127.0.0.1:${tlsPort}/hook`,
      dns: `http://${gone}:${closedPort}/hook`,
      ssrf_blocked: `http://127.0.0.1:${redirectPort}/hook`,
    };
    const subscriptions = new Map<string, string>();
    for (const [code, url] of Object.entries(urls)) {
      const sub = await createSubscription(d, who, { url, eventTypes: ['ticket.created'] }, 'c');
      subscriptions.set(sub.id, code);
    }
    records.delete(gone);
    const started: string[] = [];
    const ticket = { ticketId: 'T-1', title: 'Backup failed', priority: 'high' };
    await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'ticket.created', data: ticket, source: 'admin' },
      {
        start: async (_t, id) => {
          started.push(id);
          return 'started';
        },
      },
    );
    expect(started).toHaveLength(subscriptions.size);
    for (const deliveryId of started) {
      const { attempt } = await runManualAttempt(d, who.tenantId, deliveryId);
      const stored = await getDelivery(d, who.tenantId, deliveryId);
      const code = subscriptions.get(stored.subscriptionId);
      expect(attempt, code).toMatchObject({ statusCode: null, code, catalogCode: code });
      expect(stored.attempts?.[0], code).toMatchObject({ code, catalogCode: code });
    }

    const now = Date.now();
    const totals = await counters.totals(who.tenantId, now - 86_400_000, now + 86_400_000, 'day', {
      integrationType: 'outbound_webhook',
    });
    expect(new Set(totals.map((t) => t.code))).toEqual(new Set(Object.keys(urls)));
    for (const t of totals) expect(subscriptions.get(t.integrationId)).toBe(t.code);

    const dashboard = await buildDashboard(
      { counters, groups: FailureGroups.of(account) },
      who.tenantId,
      { days: 1 },
      now,
    );
    for (const code of Object.keys(urls)) {
      const row = dashboard.errorsByCode.find((r) => r.code === code);
      expect(row, code).toMatchObject({ catalogCode: code, label: resolveCatalogEntry(code).entry.title });
      expect(row?.byType.outbound_webhook, code).toBe(1);
      expect(resolveCatalogEntry(code).fallback, code).toBe(false);
    }
  });
});
