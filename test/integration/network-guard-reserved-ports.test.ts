import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../shared/config/settings';
import {
  assertOutboundUrlAllowed,
  type DnsLookup,
  type NetworkPolicy,
  networkPolicyFromSettings,
  OutboundUrlBlockedError,
} from '../../shared/net/guard';
import { closeGuardedAgents, guardedFetch } from '../../shared/net/guarded-fetch';
import { reservedLocalPorts, reserveLocalPorts } from '../../shared/net/reserved-ports';

/**
 * Development lets the guard reach loopback, but never the ports this machine reserves for the hub
 * itself (its listener, its Azurite): checked on the URL, on every redirect hop and on the socket
 * actually connected to, before a byte of the request is written (docs/decisions.md §42).
 */
interface Counting {
  server: Server;
  port: number;
  connections: number;
  requests: number;
}

async function listen(handler: (url: string) => { status: number; location?: string }): Promise<Counting> {
  const server = createServer();
  const counting: Counting = { server, port: 0, connections: 0, requests: 0 };
  server.on('connection', () => {
    counting.connections += 1;
  });
  server.on('request', (req, res) => {
    counting.requests += 1;
    const answer = handler(req.url ?? '/');
    res.writeHead(answer.status, answer.location ? { location: answer.location } : {});
    res.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  counting.port = (server.address() as AddressInfo).port;
  return counting;
}

let hub: Counting;
let open: Counting;
let development: NetworkPolicy;
beforeAll(async () => {
  hub = await listen(() => ({ status: 200 }));
  open = await listen((url) => ({ status: 307, location: decodeURIComponent(url.slice(1)) }));
  // As the local host does for its own ports; the policy was built before and still sees them.
  development = networkPolicyFromSettings({ HUB_ENVIRONMENT: 'development' } as Settings);
  reserveLocalPorts([hub.port]);
});

afterAll(async () => {
  await closeGuardedAgents();
  for (const s of [hub, open]) {
    s.server.closeAllConnections();
    await new Promise((resolve) => s.server.close(resolve));
  }
});

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundUrlBlockedError);
  return String((error as OutboundUrlBlockedError).details.reason);
}

const get = (url: string, policy: NetworkPolicy, dnsLookup?: DnsLookup) =>
  guardedFetch(url, { method: 'GET', timeoutMs: 5000, policy, ...(dnsLookup ? { dnsLookup } : {}) });

describe('reserved local ports', () => {
  it('the policy from settings holds the live set, so ports reserved after it was built count', () => {
    expect(development.reservedLocalPorts).toBe(reservedLocalPorts());
    expect(development.reservedLocalPorts?.has(hub.port)).toBe(true);
  });

  it('refuses the reserved port under every spelling of this machine, at registration and at call time', async () => {
    const spellings = [
      `http://127.0.0.1:${hub.port}/`,
      `http://127.9.9.9:${hub.port}/`,
      `http://localhost:${hub.port}/`,
      `http://app.localhost:${hub.port}/`,
      `http://[::1]:${hub.port}/`,
      `http://[::ffff:127.0.0.1]:${hub.port}/`,
      `http://[::ffff:0:127.0.0.1]:${hub.port}/`,
      `http://2130706433:${hub.port}/`,
    ];
    for (const url of spellings) {
      expect(await reason(assertOutboundUrlAllowed(url, development)), url).toMatch(/^(reserved_port|unspecified)$/);
      expect(await reason(get(url, development)), url).toMatch(/^(reserved_port|unspecified)$/);
    }
    expect(hub.requests).toBe(0);
  });

  it('a name resolving to this machine is refused on the reserved port; the socket check stops it before any byte', async () => {
    const dns: DnsLookup = async () => [{ address: '127.0.0.1', family: 4 }];
    const url = `http://hub.test:${hub.port}/admin/host/status`;
    expect(await reason(assertOutboundUrlAllowed(url, development, { lookup: dns }))).toBe('reserved_port');
    expect(await reason(get(url, development, dns))).toBe('reserved_port');
    expect(hub.requests).toBe(0);
  });

  it('a redirect to the reserved port is refused at that hop', async () => {
    const target = encodeURIComponent(`http://127.0.0.1:${hub.port}/runtime/webhooks/durabletask/instances`);
    expect(await reason(get(`http://127.0.0.1:${open.port}/${target}`, development))).toBe('reserved_port');
    const named: DnsLookup = async () => [{ address: '127.0.0.1', family: 4 }];
    const viaName = encodeURIComponent(`http://hub.test:${hub.port}/`);
    expect(await reason(get(`http://127.0.0.1:${open.port}/${viaName}`, development, named))).toBe('reserved_port');
    expect(open.requests).toBe(2);
    expect(hub.requests).toBe(0);
  });

  it('other loopback ports stay reachable in development, and a policy without the set is unaffected', async () => {
    const viaOpen = await get(`http://127.0.0.1:${open.port}/${encodeURIComponent('http://example.invalid/')}`, {
      ...development,
      allowHttp: true,
    }).catch((e: unknown) => e);
    // The open server answered (its redirect target is then refused as unresolvable): it was reached.
    expect(viaOpen).toBeInstanceOf(Error);
    const unreserved: NetworkPolicy = { ...development, reservedLocalPorts: new Set() };
    const direct = await get(`http://127.0.0.1:${hub.port}/`, unreserved);
    expect(direct.status).toBe(200);
    expect(hub.requests).toBe(1);
  });
});
