import { execFileSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import type { FakeVendor } from './core/all-fakes';
import { FakeVendorServer } from './core/fake-server';

/**
 * UniFi fake (docs/vendors.md "UniFi"): one server plays both APIs. The Site Manager answers under
 * `/v1/...` with `X-API-Key`; a console's Network integration API under
 * `/proxy/network/integration/v1/...` with `X-API-KEY` and its own error shape.
 */
export const UNIFI_FAKE_CREDENTIALS = { apiKey: 'fake-unifi-api-key' } as const;
export const UNIFI_FAKE_VERSION = '9.3.45';
export const UNIFI_FAKE_SITE_ID = '88f7af54-98f8-306a-a1c7-c9349722b1f6';
export const UNIFI_FAKE_DEVICE_ID = 'd8e0a6a5-0000-4000-8000-00000000ac01';

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

export function createUnifiFake(): FakeVendorServer {
  const server = new FakeVendorServer('unifi', { errorBody: siteManagerError });
  // Header names arrive lower-cased: X-API-Key and X-API-KEY are the same header on the wire.
  const keyOk = (headers: Record<string, string>) => headers['x-api-key'] === UNIFI_FAKE_CREDENTIALS.apiKey;

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

  return server;
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
