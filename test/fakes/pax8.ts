import { randomBytes } from 'node:crypto';
import type { FakeVendor } from './core/all-fakes';
import { type FakeRequest, FakeVendorServer } from './core/fake-server';
import { loadSlice } from './core/spec-check';

/**
 * Pax8 fake (docs/vendors.md "Pax8"): the Auth0-style token endpoint `POST /oauth/token` (JSON body
 * with the audience) and the API under `/v1`, probed with `GET /v1/companies?page=0&size=1`.
 */
export const PAX8_FAKE_CREDENTIALS = { clientId: 'fake-pax8-client', clientSecret: 'fake-pax8-secret' } as const;
/** The audience Pax8's Authentication description gives for the partner endpoints. */
export const PAX8_FAKE_AUDIENCE = 'https://api.pax8.com';
export const PAX8_FAKE_TOKEN_SECONDS = 86400;

const COMPANIES = [
  { id: 'c1a0e8a2-0000-4000-8000-000000000001', name: 'Contoso Ltd', status: 'Active' },
  { id: 'c1a0e8a2-0000-4000-8000-000000000002', name: 'Fabrikam Inc', status: 'Active' },
  { id: 'c1a0e8a2-0000-4000-8000-000000000003', name: 'Northwind Traders', status: 'Inactive' },
];

const STATUS_TYPE: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
};

/** Pax8's API error envelope: `{type, message, instance, status, details}`. */
const pax8Error = (status: number, message: string) => ({
  type: STATUS_TYPE[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request'),
  message,
  instance: 'fake',
  status,
  details: [],
});

function field(req: FakeRequest, name: string): string | undefined {
  if (typeof req.json === 'object' && req.json !== null && name in req.json) {
    const value = (req.json as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  }
  return new URLSearchParams(req.body).get(name) ?? undefined;
}

export function createPax8Fake(): FakeVendorServer {
  const server = new FakeVendorServer('pax8', {
    errorBody: pax8Error,
    // The token service answers a request outside TokenRequest as Auth0 does; the API with its envelope.
    spec: {
      slice: loadSlice('pax8'),
      prefix: '',
      refuse: (violations, req) =>
        req.path === '/oauth/token'
          ? {
              status: 400,
              json: {
                error: 'invalid_request',
                error_description: violations.map((v) => `${v.at} ${v.message}`).join('; '),
              },
            }
          : { status: 400, json: pax8Error(400, violations.map((v) => `${v.at} ${v.message}`).join('; ')) },
    },
  });
  const issued = new Set<string>();

  // Auth0 answers a wrong client id or secret with 401 access_denied / "Unauthorized".
  server.route('POST', '/oauth/token', (req) => {
    if (field(req, 'grant_type') !== 'client_credentials') {
      return { status: 400, json: { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' } };
    }
    if (
      field(req, 'client_id') !== PAX8_FAKE_CREDENTIALS.clientId ||
      field(req, 'client_secret') !== PAX8_FAKE_CREDENTIALS.clientSecret
    ) {
      return { status: 401, json: { error: 'access_denied', error_description: 'Unauthorized' } };
    }
    if (field(req, 'audience') !== PAX8_FAKE_AUDIENCE) {
      return {
        status: 403,
        json: {
          error: 'access_denied',
          error_description: `Service not enabled within domain: ${String(field(req, 'audience'))}`,
        },
      };
    }
    const token = `pax8-${randomBytes(12).toString('hex')}`;
    issued.add(token);
    return { json: { access_token: token, token_type: 'Bearer', expires_in: PAX8_FAKE_TOKEN_SECONDS, scope: '' } };
  });

  server.route('GET', '/v1/companies', (req) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined || !issued.has(token))
      return { status: 401, json: pax8Error(401, 'Full authentication is required to access this resource') };
    const page = Math.max(0, Number(req.query.page ?? 0) || 0);
    const size = Math.min(200, Math.max(1, Number(req.query.size ?? 10) || 10));
    return {
      json: {
        content: COMPANIES.slice(page * size, page * size + size),
        page: { size, totalElements: COMPANIES.length, totalPages: Math.ceil(COMPANIES.length / size), number: page },
      },
    };
  });

  return server;
}

export const pax8Fake: FakeVendor = {
  create: createPax8Fake,
  credentials: { ...PAX8_FAKE_CREDENTIALS },
  config: (baseUrl) => ({ baseUrl: `${baseUrl}/v1`, tokenUrl: `${baseUrl}/oauth/token` }),
};
