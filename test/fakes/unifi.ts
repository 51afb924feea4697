import { execFileSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import type { FakeVendor } from './core/all-fakes';
import { type FakeReply, type FakeRequest, FakeVendorServer } from './core/fake-server';

/**
 * UniFi fake (docs/vendors.md "UniFi"): one server plays both APIs. The Site Manager answers under
 * `/v1/...` with `X-API-Key`; a console's Network integration API under
 * `/proxy/network/integration/v1/...` with `X-API-KEY` and its own error shape.
 */
export const UNIFI_FAKE_CREDENTIALS = { apiKey: 'fake-unifi-api-key' } as const;
export const UNIFI_FAKE_VERSION = '9.3.45';
export const UNIFI_FAKE_SITE_ID = '88f7af54-98f8-306a-a1c7-c9349722b1f6';
export const UNIFI_FAKE_DEVICE_ID = 'd8e0a6a5-0000-4000-8000-00000000ac01';
export const UNIFI_FAKE_POLICY_ID = '497f6eca-6276-4993-bfeb-53cbbbba6f08';

export type UnifiFakeRecord = Record<string, unknown>;

/** The UniFi fake with its data, which tests may grow (a list beyond the tools' cap) and inspect. */
export interface UnifiFake extends FakeVendorServer {
  /** Network API: the console's sites, devices and clients of UNIFI_FAKE_SITE_ID, firewall policies by id. */
  sites: UnifiFakeRecord[];
  devices: UnifiFakeRecord[];
  clients: UnifiFakeRecord[];
  policies: Map<string, UnifiFakeRecord>;
  /** Site Manager: its sites and its devices grouped by host, as `GET /v1/devices` answers. */
  cloudSites: UnifiFakeRecord[];
  cloudHosts: UnifiFakeRecord[];
}

/**
 * The fields UniFi's "Update Firewall Policy" documents (developer.ui.com, Network API v10.1):
 * required `enabled`, `name` (non-empty), `action`, `source`, `destination`, `ipProtocolScope`,
 * `loggingEnabled`; optional `description`, `connectionStateFilter`, `ipsecFilter`, `schedule`.
 * `id`, `index` and `metadata` appear only in answers (docs/vendor-fidelity.md).
 */
const POLICY_REQUIRED: Record<string, 'boolean' | 'string' | 'object'> = {
  enabled: 'boolean',
  name: 'string',
  action: 'object',
  source: 'object',
  destination: 'object',
  ipProtocolScope: 'object',
  loggingEnabled: 'boolean',
};
const POLICY_OPTIONAL = new Set(['description', 'connectionStateFilter', 'ipsecFilter', 'schedule']);

function policyViolations(body: unknown): Array<{ at: string; message: string }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return [{ at: 'body', message: 'must be an object' }];
  const record = body as UnifiFakeRecord;
  const out: Array<{ at: string; message: string }> = [];
  for (const [field, type] of Object.entries(POLICY_REQUIRED)) {
    const value = record[field];
    const ok =
      type === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value) : typeof value === type;
    if (!ok) out.push({ at: `body.${field}`, message: `is required (${type})` });
  }
  if (record.name === '') out.push({ at: 'body.name', message: 'must not be empty' });
  for (const field of Object.keys(record)) {
    if (!(field in POLICY_REQUIRED) && !POLICY_OPTIONAL.has(field)) {
      out.push({ at: `body.${field}`, message: 'is not a field of the update request' });
    }
  }
  return out;
}

/** Network API paging: `offset` ≥ 0 and `limit` 0..200 (integers), else the API's 400. */
function networkPage(req: FakeRequest, rows: UnifiFakeRecord[]): FakeReply | { offset: number; limit: number } {
  const offset = req.query.offset === undefined ? 0 : Number(req.query.offset);
  const limit = req.query.limit === undefined ? 25 : Number(req.query.limit);
  const violations = [
    ...(Number.isInteger(offset) && offset >= 0 ? [] : [{ at: 'query.offset', message: 'must be an integer ≥ 0' }]),
    ...(Number.isInteger(limit) && limit >= 0 && limit <= 200
      ? []
      : [{ at: 'query.limit', message: 'must be an integer 0..200' }]),
  ];
  if (violations.length > 0) return { status: 400, json: { violations } };
  return {
    json: {
      offset,
      limit,
      count: rows.slice(offset, offset + limit).length,
      totalCount: rows.length,
      data: rows.slice(offset, offset + limit),
    },
  };
}

/** Site Manager errors: `{code, httpStatusCode, message, traceId}`. */
const siteManagerError = (status: number, message: string) => ({
  code: status === 401 ? 'unauthorized' : status === 429 ? 'rate_limit' : `http_${status}`,
  httpStatusCode: status,
  message,
  traceId: randomUUID().replace(/-/g, ''),
});

/** Current Network integration API errors: `{statusCode, statusName, message, requestPath}`. */
const networkError = (status: number, statusName: string, message: string, path: string) => ({
  statusCode: status,
  statusName,
  message,
  timestamp: '2026-01-01T00:00:00Z',
  requestPath: path,
});

const NETWORK = '/proxy/network/integration/v1';

export function createUnifiFake(): UnifiFake {
  const server = new FakeVendorServer('unifi', { errorBody: siteManagerError });
  // Header names arrive lower-cased: X-API-Key and X-API-KEY are the same header on the wire.
  const keyOk = (headers: Record<string, string>) => headers['x-api-key'] === UNIFI_FAKE_CREDENTIALS.apiKey;
  const fake = Object.assign(server, {
    sites: [{ id: UNIFI_FAKE_SITE_ID, internalReference: 'default', name: 'Default' }] as UnifiFakeRecord[],
    devices: [
      {
        id: UNIFI_FAKE_DEVICE_ID,
        name: 'Office Gateway',
        model: 'UCG Max',
        macAddress: '94:2a:6f:00:00:01',
        ipAddress: '192.168.1.1',
        state: 'ONLINE',
      },
      {
        id: 'd8e0a6a5-0000-4000-8000-00000000ac02',
        name: 'Lobby AP',
        model: 'U7 Pro',
        macAddress: '94:2a:6f:00:00:02',
        ipAddress: '192.168.1.20',
        state: 'OFFLINE',
      },
    ] as UnifiFakeRecord[],
    clients: [
      {
        type: 'WIRED',
        id: '1e9a4b52-0000-4000-8000-0000000c1001',
        name: 'Reception PC',
        ipAddress: '192.168.1.50',
        macAddress: '00:11:22:33:44:55',
      },
    ] as UnifiFakeRecord[],
    policies: new Map<string, UnifiFakeRecord>([
      [
        UNIFI_FAKE_POLICY_ID,
        {
          id: UNIFI_FAKE_POLICY_ID,
          enabled: true,
          name: 'Block guest to LAN',
          description: 'Guests reach the internet only',
          index: 10000,
          action: { type: 'BLOCK' },
          source: { zoneId: 'c3920607-5069-4ac3-ba10-00754e7a8e8b', trafficFilter: { type: 'NETWORK' } },
          destination: { zoneId: 'c3920607-5069-4ac3-ba10-00754e7a8e8c' },
          ipProtocolScope: { ipVersion: 'IPV4_AND_IPV6' },
          loggingEnabled: false,
          metadata: { origin: 'USER_DEFINED' },
        },
      ],
    ]),
    cloudSites: [
      {
        siteId: '661900ae6aec8f548d49fd54',
        hostId: 'E063DA0000000000000000000000000000000000',
        meta: { name: 'default', desc: 'Default' },
      },
    ] as UnifiFakeRecord[],
    cloudHosts: [
      {
        hostId: 'E063DA0000000000000000000000000000000000',
        hostName: 'Office UCG',
        devices: [
          { id: '942A6F000001', mac: '942A6F000001', name: 'Office Gateway', model: 'UCG Max', status: 'online' },
        ],
      },
    ] as UnifiFakeRecord[],
  });
  const networkUnauthorized = (req: FakeRequest): FakeReply => ({
    status: 401,
    json: networkError(401, 'UNAUTHORIZED', 'Missing or invalid API key', req.path),
  });
  const refuse = (req: FakeRequest, violations: Array<{ at: string; message: string }>): FakeReply => {
    server.refusals.push({ method: req.method, path: req.path, violations });
    return {
      status: 400,
      json: networkError(400, 'BAD_REQUEST', violations.map((v) => `${v.at} ${v.message}`).join('; '), req.path),
    };
  };
  const listed = (req: FakeRequest, rows: UnifiFakeRecord[]): FakeReply => {
    const page = networkPage(req, rows);
    if ('status' in page && page.status === 400)
      return refuse(req, (page.json as { violations: Array<{ at: string; message: string }> }).violations);
    return page as FakeReply;
  };
  const knownSite = (req: FakeRequest) => req.params.siteId === UNIFI_FAKE_SITE_ID;
  const siteMissing = (req: FakeRequest): FakeReply => ({
    status: 404,
    json: networkError(404, 'NOT_FOUND', `Site ${req.params.siteId} not found`, req.path),
  });

  /** Site Manager paging: `pageSize` digits, `nextToken` as the previous answer gave it. */
  const cloudPage = (req: FakeRequest, rows: UnifiFakeRecord[]): FakeReply => {
    if (req.query.pageSize !== undefined && !/^\d+$/.test(req.query.pageSize)) {
      return { status: 400, json: siteManagerError(400, 'invalid pageSize') };
    }
    const size = Math.max(1, Number(req.query.pageSize ?? 25));
    const start = req.query.nextToken === undefined ? 0 : Number(req.query.nextToken.replace(/^page-/, ''));
    if (!Number.isInteger(start) || start < 0) return { status: 400, json: siteManagerError(400, 'invalid nextToken') };
    const next = start + size < rows.length ? `page-${start + size}` : null;
    return {
      json: {
        data: rows.slice(start, start + size),
        httpStatusCode: 200,
        traceId: randomUUID().replace(/-/g, ''),
        ...(next ? { nextToken: next } : {}),
      },
    };
  };

  server.route('GET', '/v1/sites', (req) =>
    keyOk(req.headers) ? cloudPage(req, fake.cloudSites) : { status: 401, json: siteManagerError(401, 'unauthorized') },
  );
  server.route('GET', '/v1/devices', (req) =>
    keyOk(req.headers) ? cloudPage(req, fake.cloudHosts) : { status: 401, json: siteManagerError(401, 'unauthorized') },
  );
  server.route('GET', `${NETWORK}/sites`, (req) =>
    keyOk(req.headers) ? listed(req, fake.sites) : networkUnauthorized(req),
  );
  server.route('GET', `${NETWORK}/sites/:siteId/devices`, (req) => {
    if (!keyOk(req.headers)) return networkUnauthorized(req);
    return knownSite(req) ? listed(req, fake.devices) : siteMissing(req);
  });
  server.route('GET', `${NETWORK}/sites/:siteId/clients`, (req) => {
    if (!keyOk(req.headers)) return networkUnauthorized(req);
    return knownSite(req) ? listed(req, fake.clients) : siteMissing(req);
  });
  server.route('GET', `${NETWORK}/sites/:siteId/firewall/policies/:policyId`, (req) => {
    if (!keyOk(req.headers)) return networkUnauthorized(req);
    const policy = knownSite(req) ? fake.policies.get(req.params.policyId ?? '') : undefined;
    return policy
      ? { json: policy }
      : { status: 404, json: networkError(404, 'NOT_FOUND', 'Firewall policy not found', req.path) };
  });
  server.route('PUT', `${NETWORK}/sites/:siteId/firewall/policies/:policyId`, (req) => {
    if (!keyOk(req.headers)) return networkUnauthorized(req);
    const policy = knownSite(req) ? fake.policies.get(req.params.policyId ?? '') : undefined;
    if (!policy) return { status: 404, json: networkError(404, 'NOT_FOUND', 'Firewall policy not found', req.path) };
    const violations = policyViolations(req.json);
    if (violations.length > 0) return refuse(req, violations);
    Object.assign(policy, req.json as UnifiFakeRecord);
    return { json: policy };
  });

  server.route('GET', '/v1/hosts', (req) => {
    if (!keyOk(req.headers)) return { status: 401, json: siteManagerError(401, 'unauthorized') };
    return {
      json: {
        data: [
          {
            id: 'E063DA0000000000000000000000000000000000',
            hardwareId: 'a1b2',
            type: 'console',
            ipAddress: '203.0.113.7',
          },
        ],
        httpStatusCode: 200,
        traceId: randomUUID().replace(/-/g, ''),
        nextToken: null,
      },
    };
  });

  server.route('GET', `${NETWORK}/info`, (req) => {
    if (!keyOk(req.headers)) {
      return { status: 401, json: networkError(401, 'UNAUTHORIZED', 'Missing or invalid API key', req.path) };
    }
    return { json: { applicationVersion: UNIFI_FAKE_VERSION } };
  });

  server.route('POST', `${NETWORK}/sites/:siteId/devices/:deviceId/actions`, (req) => {
    if (!keyOk(req.headers)) {
      return { status: 401, json: networkError(401, 'UNAUTHORIZED', 'Missing or invalid API key', req.path) };
    }
    if (req.params.siteId !== UNIFI_FAKE_SITE_ID || req.params.deviceId !== UNIFI_FAKE_DEVICE_ID) {
      return { status: 404, json: networkError(404, 'NOT_FOUND', 'Device not found', req.path) };
    }
    const action =
      typeof req.json === 'object' && req.json !== null ? (req.json as Record<string, unknown>).action : undefined;
    if (action !== 'RESTART') {
      server.refusals.push({
        method: req.method,
        path: req.path,
        violations: [{ at: 'body.action', message: 'must be one of RESTART' }],
      });
      return { status: 400, json: networkError(400, 'BAD_REQUEST', 'Unsupported action', req.path) };
    }
    return { json: {} };
  });

  return fake;
}

export const unifiFake: FakeVendor = {
  create: createUnifiFake,
  credentials: { ...UNIFI_FAKE_CREDENTIALS },
  config: (baseUrl) => ({ mode: 'site-manager', baseUrl }),
};

/**
 * A console's https side: consoles serve the Network API over TLS with a self-signed certificate.
 * The front terminates TLS with `tls` (key and certificate PEM) and pipes the plaintext to the
 * fake's http port, so the fake still parses and counts every request. `applicationBytes` counts
 * what arrived after the handshake: zero means not even a request line (let alone the API key
 * header) was sent.
 */
export interface UnifiHttpsFront {
  /** `https://127.0.0.1:<port>` */
  baseUrl: string;
  /** TLS handshakes completed. */
  readonly handshakes: number;
  /** Decrypted bytes received from clients. */
  readonly applicationBytes: number;
  stop(): Promise<void>;
}

export async function startUnifiHttpsFront(
  fake: FakeVendorServer,
  tls: { key: string; cert: string },
): Promise<UnifiHttpsFront> {
  const upstream = new URL(fake.baseUrl);
  const sockets = new Set<Socket>();
  const counts = { handshakes: 0, applicationBytes: 0 };
  const server = createTlsServer({ key: tls.key, cert: tls.cert }, (client) => {
    counts.handshakes += 1;
    client.on('data', (chunk: Buffer) => {
      counts.applicationBytes += chunk.length;
    });
    const plain = connect(Number(upstream.port), upstream.hostname);
    sockets.add(plain);
    plain.on('close', () => sockets.delete(plain));
    client.on('error', () => plain.destroy());
    plain.on('error', () => client.destroy());
    client.pipe(plain).pipe(client);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client that rejects the certificate ends the handshake: expected here, not a test failure.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `https://127.0.0.1:${port}`,
    get handshakes() {
      return counts.handshakes;
    },
    get applicationBytes() {
      return counts.applicationBytes;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A fresh self-signed certificate like a console's (EC P-256, no name the hub could check), made
 * with the machine's openssl; `sha256` is its fingerprint as node and browsers print it.
 */
export function selfSignedConsoleCertificate(commonName = 'UniFi Console'): {
  key: string;
  cert: string;
  sha256: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'unifi-console-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '3',
        '-subj',
        `/CN=${commonName}`,
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(certPath, 'utf8');
    return { key: readFileSync(keyPath, 'utf8'), cert, sha256: new X509Certificate(cert).fingerprint256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
