import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../shared/config/settings';
import { classifyAddress } from '../../shared/net/address-class';
import {
  assertOutboundUrlAllowed,
  type DnsLookup,
  type NetworkPolicy,
  networkPolicyFromSettings,
  OutboundUrlBlockedError,
} from '../../shared/net/guard';
import { closeGuardedAgents, guardedFetch, OutboundRequestError } from '../../shared/net/guarded-fetch';

const production = networkPolicyFromSettings({ HUB_ENVIRONMENT: 'production' } as Settings);
const development = networkPolicyFromSettings({ HUB_ENVIRONMENT: 'development' } as Settings);
/** Production's address rules with plain http allowed, so loopback fakes can stand in for vendors. */
const productionOverHttp: NetworkPolicy = { ...production, allowHttp: true };
/** Only loopback on top of that: the fake is reachable, everything private stays refused. */
const loopbackOnly: NetworkPolicy = { ...productionOverHttp, allowLoopback: true };

/** A resolver that knows a few names, like a DNS zone the test controls. */
function zone(records: Record<string, string[]>): DnsLookup {
  return async (hostname) => {
    const addresses = records[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

async function blocked(promise: Promise<unknown>): Promise<OutboundUrlBlockedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundUrlBlockedError);
  return error as OutboundUrlBlockedError;
}

async function reasonFor(url: string, policy: NetworkPolicy, lookup?: DnsLookup): Promise<string> {
  const error = await blocked(assertOutboundUrlAllowed(url, policy, lookup ? { lookup } : {}));
  expect(error.code).toBe('outbound_url_blocked');
  return String(error.details.reason);
}

/** A loopback HTTP server that counts TCP connections and records requests. */
interface Fake {
  server: Server;
  port: number;
  base: string;
  connections: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
}

async function startFake(handler: (req: IncomingMessage, res: ServerResponse, fake: Fake) => void): Promise<Fake> {
  const server = createServer();
  const fake: Fake = { server, port: 0, base: '', connections: 0, requests: [] };
  server.on('connection', () => {
    fake.connections += 1;
  });
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      fake.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      handler(req, res, fake);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.base = `http://127.0.0.1:${fake.port}`;
  return fake;
}

const fakes: Fake[] = [];
async function fake(handler: (req: IncomingMessage, res: ServerResponse, fake: Fake) => void): Promise<Fake> {
  const started = await startFake(handler);
  fakes.push(started);
  return started;
}

afterAll(async () => {
  await closeGuardedAgents();
  for (const f of fakes) {
    f.server.closeAllConnections();
    await new Promise((resolve) => f.server.close(resolve));
  }
});

describe('address classes', () => {
  it('classifies IPv4, IPv6 and IPv6 forms that embed IPv4', () => {
    const cases: Record<string, string> = {
      '8.8.8.8': 'public',
      '127.0.0.1': 'loopback',
      '127.255.0.9': 'loopback',
      '10.20.30.40': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '172.32.0.1': 'public',
      '192.168.1.1': 'private',
      '100.64.0.1': 'shared_address',
      '100.127.255.255': 'shared_address',
      '100.128.0.1': 'public',
      '169.254.10.10': 'link_local',
      '169.254.169.254': 'metadata',
      '168.63.129.16': 'metadata',
      '0.0.0.0': 'unspecified',
      '0.1.2.3': 'unspecified',
      '224.0.0.1': 'reserved',
      '255.255.255.255': 'reserved',
      '::1': 'loopback',
      '[::1]': 'loopback',
      '::': 'unspecified',
      'fc00::1': 'private',
      'fdff:ffff::1': 'private',
      'fe80::1': 'link_local',
      'febf::1': 'link_local',
      '2606:4700:4700::1111': 'public',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '::ffff:10.0.0.1': 'private',
      '::ffff:169.254.169.254': 'metadata',
      '::ffff:8.8.8.8': 'public',
      '::127.0.0.1': 'loopback',
      '64:ff9b::a9fe:a9fe': 'metadata',
      '2002:c0a8:101::1': 'private',
      '2001:db8::1': 'reserved',
      'fd00:ec2::254': 'metadata',
      'ff02::1': 'reserved',
    };
    const actual = Object.fromEntries(Object.keys(cases).map((a) => [a, classifyAddress(a)]));
    expect(actual).toEqual(cases);
    expect(classifyAddress('example.com')).toBeUndefined();
  });
});

describe('assertOutboundUrlAllowed with development settings off', () => {
  const publicZone = zone({ 'vendor.example': ['93.184.216.34'], 'v6.example': ['2606:4700:4700::1111'] });

  it('allows https to public addresses and names', async () => {
    await assertOutboundUrlAllowed('https://93.184.216.34/api', production);
    await assertOutboundUrlAllowed('https://vendor.example/api?x=1', production, { lookup: publicZone });
    await assertOutboundUrlAllowed('https://v6.example/', production, { lookup: publicZone });
  });

  it('refuses loopback, private, link-local, metadata and unspecified addresses however they are spelt', async () => {
    const cases: Record<string, string> = {
      'https://127.0.0.1/': 'loopback',
      'https://127.1/': 'loopback',
      'https://2130706433/': 'loopback', // decimal
      'https://0177.0.0.1/': 'loopback', // octal
      'https://0x7f.0.0.1/': 'loopback', // hex
      'https://0x7f000001/': 'loopback',
      'https://[::1]/': 'loopback',
      'https://[::ffff:127.0.0.1]/': 'loopback',
      'https://[0:0:0:0:0:ffff:7f00:1]/': 'loopback',
      'https://localhost/': 'loopback',
      'https://LOCALHOST./': 'loopback',
      'https://api.localhost/': 'loopback',
      'https://10.0.0.1/': 'private',
      'https://10.255.255.255:8443/': 'private',
      'https://172.20.1.1/': 'private',
      'https://192.168.0.1/': 'private',
      'https://012.0.0.1/': 'private', // octal 10.0.0.1
      'https://[fc00::1]/': 'private',
      'https://[fd12:3456::1]/': 'private',
      'https://[::ffff:10.0.0.1]/': 'private',
      'https://100.64.0.1/': 'shared_address',
      'https://100.100.1.1/': 'shared_address',
      'https://169.254.1.1/': 'link_local',
      'https://[fe80::1]/': 'link_local',
      'https://169.254.169.254/latest/meta-data/': 'metadata',
      'https://2852039166/': 'metadata', // 169.254.169.254 in decimal
      'https://[::ffff:a9fe:a9fe]/': 'metadata',
      'https://168.63.129.16/': 'metadata',
      'https://0.0.0.0/': 'unspecified',
      'https://0/': 'unspecified',
      'https://[::]/': 'unspecified',
      'https://224.0.0.1/': 'reserved',
    };
    const actual: Record<string, string> = {};
    for (const url of Object.keys(cases)) actual[url] = await reasonFor(url, production);
    expect(actual).toEqual(cases);
  });

  it('refuses plain http, other schemes, userinfo and junk', async () => {
    expect(await reasonFor('http://93.184.216.34/', production)).toBe('https_required');
    expect(await reasonFor('ftp://93.184.216.34/', production)).toBe('scheme_not_allowed');
    expect(await reasonFor('file:///etc/passwd', production)).toBe('scheme_not_allowed');
    expect(await reasonFor('gopher://127.0.0.1:6379/_PING', development)).toBe('scheme_not_allowed');
    expect(await reasonFor('https://user:pass@vendor.example/', production, publicZone)).toBe('userinfo_not_allowed');
    expect(await reasonFor('https://vendor.example@127.0.0.1/', production)).toBe('userinfo_not_allowed');
    expect(await reasonFor('https://vendor.example%40127.0.0.1/', production)).toBe('invalid_url');
    expect(await reasonFor('not a url', production)).toBe('invalid_url');
    expect(await reasonFor('/relative/path', production)).toBe('invalid_url');
  });

  it('refuses a name that resolves to a private address, or to any blocked address among public ones', async () => {
    const dns = zone({
      'intranet.example': ['10.1.2.3'],
      'mixed.example': ['93.184.216.34', '127.0.0.1'],
      'v6private.example': ['fd00::5'],
      'mapped.example': ['::ffff:192.168.1.1'],
      'metadata.example': ['169.254.169.254'],
    });
    expect(await reasonFor('https://intranet.example/', production, dns)).toBe('private');
    expect(await reasonFor('https://mixed.example/', production, dns)).toBe('loopback');
    expect(await reasonFor('https://v6private.example/', production, dns)).toBe('private');
    expect(await reasonFor('https://mapped.example/', production, dns)).toBe('private');
    expect(await reasonFor('https://metadata.example/', development, dns)).toBe('metadata');
    expect(await reasonFor('https://nxdomain.example/', production, dns)).toBe('unresolvable');
  });

  it('the error carries the host and reason, never the path, query or credentials', async () => {
    const error = await blocked(
      assertOutboundUrlAllowed('https://10.0.0.1/hook/path?token=s3cr3t-value&code=abc#frag', production),
    );
    expect(error.details).toEqual({ host: '10.0.0.1', reason: 'private' });
    const visible = `${error.message} ${JSON.stringify(error.details)} ${error.stack}`;
    for (const secret of ['s3cr3t-value', 'token=', '/hook/path', 'frag']) expect(visible).not.toContain(secret);
    const userinfo = await blocked(assertOutboundUrlAllowed('https://admin:hunter2@93.184.216.34/', production));
    expect(`${userinfo.message} ${JSON.stringify(userinfo.details)}`).not.toContain('hunter2');
  });
});

describe('policies from settings and the private-host opt-in', () => {
  it('development allows http, loopback and private addresses but never metadata or 0.0.0.0', async () => {
    expect(development).toEqual({
      allowHttp: true,
      allowLoopback: true,
      allowPrivate: true,
      allowedPrivateHosts: [],
      // The hub's own ports on this machine stay closed (docs/decisions.md §42).
      reservedLocalPorts: expect.any(Set),
    });
    expect(production).toEqual({
      allowHttp: false,
      allowLoopback: false,
      allowPrivate: false,
      allowedPrivateHosts: [],
    });
    await assertOutboundUrlAllowed('http://127.0.0.1:7071/', development);
    await assertOutboundUrlAllowed('http://localhost:7071/', development);
    await assertOutboundUrlAllowed('http://10.0.0.1/', development);
    await assertOutboundUrlAllowed('http://[::1]:8080/', development);
    expect(await reasonFor('http://169.254.169.254/', development)).toBe('metadata');
    expect(await reasonFor('http://0.0.0.0:7071/', development)).toBe('unspecified');
  });

  it("a UniFi console's own private address is reachable only when that integration allows it", async () => {
    const unifi = networkPolicyFromSettings({ HUB_ENVIRONMENT: 'production' } as Settings, {
      allowedPrivateHosts: ['192.168.1.20', 'Console.LAN.', '[FD00::20]'],
    });
    expect(unifi.allowedPrivateHosts).toEqual(['192.168.1.20', 'console.lan', 'fd00::20']);
    const dns = zone({ 'console.lan': ['192.168.1.30'], 'other.lan': ['192.168.1.20'], 'sneaky.lan': ['127.0.0.1'] });
    await assertOutboundUrlAllowed('https://192.168.1.20:8443/proxy/network/api', unifi);
    await assertOutboundUrlAllowed('https://console.lan/', unifi, { lookup: dns });
    await assertOutboundUrlAllowed('https://other.lan/', unifi, { lookup: dns }); // resolves to the allowed address
    await assertOutboundUrlAllowed('https://[fd00::20]/', unifi);
    expect(await reasonFor('https://192.168.1.21/', unifi)).toBe('private');
    expect(await reasonFor('https://10.0.0.1/', unifi)).toBe('private');
    expect(await reasonFor('http://192.168.1.20/', unifi)).toBe('https_required');
    // The opt-in covers private addresses only: never loopback, link-local or metadata.
    expect(await reasonFor('https://sneaky.lan/', { ...unifi, allowedPrivateHosts: ['sneaky.lan'] }, dns)).toBe(
      'loopback',
    );
    expect(await reasonFor('https://169.254.169.254/', { ...unifi, allowedPrivateHosts: ['169.254.169.254'] })).toBe(
      'metadata',
    );
    expect(await reasonFor('https://169.254.1.1/', { ...unifi, allowedPrivateHosts: ['169.254.1.1'] })).toBe(
      'link_local',
    );
  });
});

describe('guardedFetch over real loopback servers', () => {
  let echo: Fake;
  beforeAll(async () => {
    echo = await fake((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-seen-method': req.method ?? '' });
      res.end(JSON.stringify({ path: req.url }));
    });
  });

  it('returns status, lower-case headers, body and final URL; connections are reused', async () => {
    const before = echo.connections;
    const first = await guardedFetch(`${echo.base}/one?q=1`, { method: 'get', timeoutMs: 5000, policy: development });
    // undici returns the socket to the pool just after the body ends; give it that turn.
    await new Promise((resolve) => setImmediate(resolve));
    const second = await guardedFetch(`${echo.base}/two`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":1}',
      timeoutMs: 5000,
      policy: development,
    });
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('application/json');
    expect(JSON.parse(first.body.toString())).toEqual({ path: '/one?q=1' });
    expect(first.truncated).toBe(false);
    expect(first.url).toBe(`${echo.base}/one?q=1`);
    expect(second.headers['x-seen-method']).toBe('POST');
    expect(echo.requests.at(-1)?.body).toBe('{"a":1}');
    expect(echo.connections - before).toBe(1);
  });

  it('with development settings off, the loopback server is never connected to', async () => {
    const before = echo.connections;
    const cases: [string, NetworkPolicy, string][] = [
      [echo.base, production, 'https_required'],
      [`https://127.0.0.1:${echo.port}/`, production, 'loopback'],
      [`http://127.0.0.1:${echo.port}/`, productionOverHttp, 'loopback'],
      [`http://[::ffff:127.0.0.1]:${echo.port}/`, productionOverHttp, 'loopback'],
      [`http://2130706433:${echo.port}/`, productionOverHttp, 'loopback'],
      [`http://localhost:${echo.port}/`, productionOverHttp, 'loopback'],
      [`http://evil.example@127.0.0.1:${echo.port}/`, productionOverHttp, 'userinfo_not_allowed'],
    ];
    for (const [url, policy, reason] of cases) {
      const error = await blocked(guardedFetch(url, { method: 'GET', timeoutMs: 5000, policy }));
      expect(error.details.reason, url).toBe(reason);
    }
    expect(echo.connections).toBe(before);
  });

  it('a name resolving to a private or loopback address is refused in the connection lookup', async () => {
    const before = echo.connections;
    const dns = zone({ 'vendor.test': ['10.0.0.7'], 'rebound.test': ['127.0.0.1'] });
    const privateName = await blocked(
      guardedFetch(`http://vendor.test:${echo.port}/`, {
        method: 'GET',
        timeoutMs: 5000,
        policy: productionOverHttp,
        dnsLookup: dns,
      }),
    );
    expect(privateName.details).toEqual({ host: 'vendor.test', reason: 'private' });
    const loopbackName = await blocked(
      guardedFetch(`http://rebound.test:${echo.port}/`, {
        method: 'GET',
        timeoutMs: 5000,
        policy: productionOverHttp,
        dnsLookup: dns,
      }),
    );
    expect(loopbackName.details).toEqual({ host: 'rebound.test', reason: 'loopback' });
    expect(echo.connections).toBe(before);
  });

  it('DNS rebinding: a name that was public when checked and loopback when connecting is refused', async () => {
    const before = echo.connections;
    let calls = 0;
    const rebinding: DnsLookup = async () => {
      calls += 1;
      return [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    };
    const url = `http://rebind.test:${echo.port}/`;
    await assertOutboundUrlAllowed(url, productionOverHttp, { lookup: rebinding });
    const error = await blocked(
      guardedFetch(url, { method: 'GET', timeoutMs: 5000, policy: productionOverHttp, dnsLookup: rebinding }),
    );
    expect(error.details).toEqual({ host: 'rebind.test', reason: 'loopback' });
    expect(calls).toBe(2);
    expect(echo.connections).toBe(before);
  });

  it('every redirect hop is checked: private, metadata and private-resolving targets are refused', async () => {
    const redirector = await fake((req, res) => {
      const target = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '/';
      res.writeHead(302, { location: target });
      res.end('moved');
    });
    const dns = zone({ 'internal.test': ['192.168.0.10'] });
    const cases: [string, string][] = [
      ['http://10.0.0.1/admin', 'private'],
      ['http://169.254.169.254/metadata/instance?api-version=2021-02-01', 'metadata'],
      ['http://[fd00::1]/', 'private'],
      ['http://100.64.1.1/', 'shared_address'],
      [`http://internal.test:${echo.port}/`, 'private'],
      ['file:///etc/passwd', 'scheme_not_allowed'],
    ];
    for (const [to, reason] of cases) {
      const error = await blocked(
        guardedFetch(`${redirector.base}/?to=${encodeURIComponent(to)}`, {
          method: 'GET',
          timeoutMs: 5000,
          policy: loopbackOnly,
          dnsLookup: dns,
        }),
      );
      expect(error.details.reason, to).toBe(reason);
    }
    expect(redirector.requests.length).toBe(cases.length);
  });

  it('follows allowed redirects, turns POST into GET on 303, and drops credentials across origins', async () => {
    const other = await fake((req, res) => {
      res.writeHead(200);
      res.end(`other ${req.method}`);
    });
    const start = await fake((req, res) => {
      if (req.url === '/same') {
        res.writeHead(307, { location: '/final' });
        res.end();
      } else if (req.url === '/final') {
        res.writeHead(200);
        res.end(`final ${req.method}`);
      } else {
        res.writeHead(303, { location: `http://localhost:${other.port}/elsewhere` });
        res.end();
      }
    });
    const sameOrigin = await guardedFetch(`${start.base}/same`, {
      method: 'PUT',
      headers: { authorization: 'Bearer vendor-token', 'content-type': 'text/plain' },
      body: 'x',
      timeoutMs: 5000,
      policy: development,
    });
    expect(sameOrigin.body.toString()).toBe('final PUT');
    expect(sameOrigin.url).toBe(`${start.base}/final`);
    expect(start.requests.at(-1)?.headers.authorization).toBe('Bearer vendor-token');
    expect(start.requests.at(-1)?.body).toBe('x');

    const crossOrigin = await guardedFetch(`${start.base}/create`, {
      method: 'POST',
      headers: { Authorization: 'Bearer vendor-token', 'X-Api-Secret': 's', Accept: 'application/json' },
      body: '{}',
      timeoutMs: 5000,
      policy: development,
    });
    expect(crossOrigin.status).toBe(200);
    expect(crossOrigin.body.toString()).toBe('other GET');
    expect(crossOrigin.url).toBe(`http://localhost:${other.port}/elsewhere`);
    const seen = other.requests.at(-1)?.headers ?? {};
    expect(seen.authorization).toBeUndefined();
    expect(seen['x-api-secret']).toBeUndefined();
    expect(seen.accept).toBe('application/json');
  });

  it('stops after maxRedirects and returns the redirect response itself', async () => {
    const loop = await fake((req, res) => {
      const n = Number(req.url?.slice(1) || '0');
      res.writeHead(302, { location: `/${n + 1}` });
      res.end();
    });
    const response = await guardedFetch(`${loop.base}/0`, { method: 'GET', timeoutMs: 5000, policy: development });
    expect(response.status).toBe(302);
    expect(loop.requests.map((r) => r.url)).toEqual(['/0', '/1', '/2', '/3']);
    const none = await guardedFetch(`${loop.base}/0`, {
      method: 'GET',
      timeoutMs: 5000,
      policy: development,
      maxRedirects: 0,
    });
    expect(none.status).toBe(302);
    expect(none.headers.location).toBe('/1');
  });

  it('truncates a large body at maxResponseBytes and flags it', async () => {
    const big = await fake((_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(3 * 1024 * 1024, 0x61));
    });
    const small = await guardedFetch(big.base, {
      method: 'GET',
      timeoutMs: 5000,
      policy: development,
      maxResponseBytes: 1000,
    });
    expect(small.body.length).toBe(1000);
    expect(small.truncated).toBe(true);
    const byDefault = await guardedFetch(big.base, { method: 'GET', timeoutMs: 5000, policy: development });
    expect(byDefault.body.length).toBe(1024 * 1024);
    expect(byDefault.truncated).toBe(true);
  });

  it('times out when headers never come, and when the body trickles past the deadline', async () => {
    const silent = await fake(() => {
      /* never answers */
    });
    const trickle = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first bytes');
      const drip = setInterval(() => res.write('.'), 20);
      res.on('close', () => clearInterval(drip));
    });
    for (const target of [silent, trickle]) {
      const error = await guardedFetch(`${target.base}/slow?key=secret`, {
        method: 'GET',
        timeoutMs: 300,
        policy: development,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundRequestError);
      expect((error as OutboundRequestError).kind).toBe('timeout');
      expect((error as Error).message).not.toContain('secret');
    }
  });

  it('connection refused and DNS failure are network errors', async () => {
    const closed = await startFake(() => undefined);
    await new Promise((resolve) => closed.server.close(resolve));
    const refused = await guardedFetch(closed.base, { method: 'GET', timeoutMs: 5000, policy: development }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(OutboundRequestError);
    expect(refused).toMatchObject({ kind: 'network', errorCode: 'ECONNREFUSED', host: '127.0.0.1' });

    const nxdomain = await guardedFetch('http://missing.test/', {
      method: 'GET',
      timeoutMs: 5000,
      policy: development,
      dnsLookup: zone({}),
    }).catch((e: unknown) => e);
    expect(nxdomain).toMatchObject({ kind: 'network', errorCode: 'ENOTFOUND', host: 'missing.test' });
  });
});
