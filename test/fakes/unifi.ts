import { randomUUID } from 'node:crypto';
import type { FakeVendor } from './core/all-fakes';
import { FakeVendorServer } from './core/fake-server';

/**
 * UniFi fake (VENDORS.md "UniFi"): one server plays both APIs. The Site Manager answers under
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
    if (action !== 'RESTART')
      return { status: 400, json: networkError(400, 'BAD_REQUEST', 'Unsupported action', req.path) };
    return { json: {} };
  });

  return server;
}

export const unifiFake: FakeVendor = {
  create: createUnifiFake,
  credentials: { ...UNIFI_FAKE_CREDENTIALS },
  config: (baseUrl) => ({ mode: 'site-manager', baseUrl }),
};
