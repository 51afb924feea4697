import { randomBytes, randomUUID } from 'node:crypto';
import type { FakeVendor } from './core/all-fakes';
import { type FakeRequest, FakeVendorServer } from './core/fake-server';
import { loadSlice } from './core/spec-check';

/**
 * Pax8 fake (docs/vendors.md "Pax8"): the Auth0-style token endpoint `POST /oauth/token` (JSON body
 * with the audience) and the API under `/v1`, probed with `GET /v1/companies?page=0&size=1`. For the
 * tools it also lists subscriptions and orders, takes orders (`?isMock=true` stores nothing) and
 * quantity changes; every request is held to the spec slice first (test/fixtures/vendor-specs/pax8).
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
export const PAX8_FAKE_COMPANY_ID = COMPANIES[0]!.id;
export const PAX8_FAKE_PRODUCT_ID = 'a9e0b3c1-0000-4000-8000-0000000000e3';
export const PAX8_FAKE_SUBSCRIPTION_ID = '5b0c7d2e-0000-4000-8000-000000000051';

export type Pax8FakeRecord = Record<string, unknown>;

/** The Pax8 fake with its data, which tests may grow (a list beyond the tools' cap) and inspect. */
export interface Pax8Fake extends FakeVendorServer {
  companies: Pax8FakeRecord[];
  subscriptions: Pax8FakeRecord[];
  orders: Pax8FakeRecord[];
  /** Contacts by company id (`GET /v1/companies/{companyId}/contacts`, the sync engine's listing). */
  contacts: Record<string, Pax8FakeRecord[]>;
}

const STATUS_TYPE: Record<number, string> = {
  422: 'Unprocessable Entity',
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

export function createPax8Fake(): Pax8Fake {
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

  const fake = Object.assign(server, {
    companies: COMPANIES.map((c) => ({ ...c })) as Pax8FakeRecord[],
    subscriptions: [
      {
        id: PAX8_FAKE_SUBSCRIPTION_ID,
        companyId: PAX8_FAKE_COMPANY_ID,
        productId: PAX8_FAKE_PRODUCT_ID,
        productName: 'Microsoft 365 Business Premium',
        quantity: 10,
        billingTerm: 'Monthly',
        status: 'Active',
      },
    ] as Pax8FakeRecord[],
    orders: [] as Pax8FakeRecord[],
    contacts: {} as Record<string, Pax8FakeRecord[]>,
  });
  const unauthorized = { status: 401, json: pax8Error(401, 'Full authentication is required to access this resource') };
  const authorized = (req: FakeRequest) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    return token !== undefined && issued.has(token);
  };
  /** Pax8's page: `content` and `page {size, totalElements, totalPages, number}` (size ≤ 200, default 10). */
  const paged = (req: FakeRequest, rows: Pax8FakeRecord[]) => {
    const page = Math.max(0, Number(req.query.page ?? 0) || 0);
    const size = Math.min(200, Math.max(1, Number(req.query.size ?? 10) || 10));
    return {
      json: {
        content: rows.slice(page * size, page * size + size),
        page: { size, totalElements: rows.length, totalPages: Math.ceil(rows.length / size), number: page },
      },
    };
  };
  const matches = (req: FakeRequest, row: Pax8FakeRecord, ...names: string[]) =>
    names.every((name) => req.query[name] === undefined || row[name] === req.query[name]);

  server.route('GET', '/v1/companies', (req) =>
    authorized(req)
      ? paged(
          req,
          fake.companies.filter((c) => matches(req, c, 'status')),
        )
      : unauthorized,
  );
  server.route('GET', '/v1/subscriptions', (req) =>
    authorized(req)
      ? paged(
          req,
          fake.subscriptions.filter((s) => matches(req, s, 'companyId', 'status', 'billingTerm', 'productId')),
        )
      : unauthorized,
  );
  server.route('GET', '/v1/orders', (req) =>
    authorized(req)
      ? paged(
          req,
          fake.orders.filter((o) => matches(req, o, 'companyId')),
        )
      : unauthorized,
  );

  // A company's contacts (page/size already held to the slice); an unknown company is 404.
  server.route('GET', '/v1/companies/:companyId/contacts', (req) => {
    if (!authorized(req)) return unauthorized;
    if (!fake.companies.some((c) => c.id === req.params.companyId))
      return { status: 404, json: pax8Error(404, 'Company not found') };
    return paged(req, fake.contacts[req.params.companyId!] ?? []);
  });

  // One contact, read and replaced (`PUT` of the whole `Contact`) by entity sync; the slice holds the body's shape.
  const contactOf = (req: FakeRequest) =>
    (fake.contacts[req.params.companyId!] ?? []).find((c) => c.id === req.params.contactId);
  server.route('GET', '/v1/companies/:companyId/contacts/:contactId', (req) => {
    if (!authorized(req)) return unauthorized;
    const contact = contactOf(req);
    return contact ? { json: contact } : { status: 404, json: pax8Error(404, 'Contact or company not found') };
  });
  server.route('PUT', '/v1/companies/:companyId/contacts/:contactId', (req) => {
    if (!authorized(req)) return unauthorized;
    const contact = contactOf(req);
    if (!contact) return { status: 404, json: pax8Error(404, 'Contact or company not found') };
    const { id: _readOnly, createdDate: _alsoReadOnly, ...update } = (req.json ?? {}) as Pax8FakeRecord;
    Object.assign(contact, update);
    return { json: contact };
  });

  // Entity sync's company write (`CompanyUpdate`); "at least one parameter has to be modified".
  server.route('PATCH', '/v1/companies/:companyId', (req) => {
    if (!authorized(req)) return unauthorized;
    const company = fake.companies.find((c) => c.id === req.params.companyId);
    if (!company) return { status: 404, json: pax8Error(404, 'Company not found') };
    const update = (req.json ?? {}) as Pax8FakeRecord;
    if (Object.keys(update).length === 0) return { status: 422, json: pax8Error(422, 'Nothing to update') };
    Object.assign(company, update);
    return { json: company };
  });

  // The slice has already checked the body's shape; what it cannot say Pax8 answers with 422.
  server.route('POST', '/v1/orders', (req) => {
    if (!authorized(req)) return unauthorized;
    const order = req.json as { companyId: string; lineItems: Pax8FakeRecord[] };
    if (!fake.companies.some((c) => c.id === order.companyId)) {
      return { status: 422, json: pax8Error(422, `Company ${order.companyId} not found`) };
    }
    const bad = order.lineItems.find((line) => typeof line.quantity !== 'number' || !Number.isInteger(line.quantity));
    if (order.lineItems.length === 0 || bad) {
      return { status: 422, json: pax8Error(422, 'Each line item needs a whole-number quantity') };
    }
    const created = {
      id: randomUUID(),
      companyId: order.companyId,
      createdDate: '2026-03-02',
      orderedBy: 'Pax8 Partner',
      lineItems: order.lineItems.map((line) => ({ ...line, id: randomUUID() })),
    };
    if (req.query.isMock !== 'true') fake.orders.push(created);
    return { json: created };
  });

  server.route('PUT', '/v1/subscriptions/:id', (req) => {
    if (!authorized(req)) return unauthorized;
    const subscription = fake.subscriptions.find((s) => s.id === req.params.id);
    if (!subscription) return { status: 404, json: pax8Error(404, 'Subscription not found') };
    const update = req.json as Pax8FakeRecord;
    // Pax8's description: at least one of price, billingTerm, quantity, startDate (the anyOf the slice cannot hold).
    if (!['price', 'billingTerm', 'quantity', 'startDate'].some((field) => update[field] !== undefined)) {
      server.refusals.push({
        method: req.method,
        path: req.path,
        violations: [{ at: 'body', message: 'needs one of price, billingTerm, quantity, startDate' }],
      });
      return {
        status: 422,
        json: pax8Error(422, 'At least one of price, billingTerm, quantity, startDate is required'),
      };
    }
    Object.assign(subscription, update);
    return { json: subscription };
  });

  return fake;
}

export const pax8Fake: FakeVendor = {
  create: createPax8Fake,
  credentials: { ...PAX8_FAKE_CREDENTIALS },
  config: (baseUrl) => ({ baseUrl: `${baseUrl}/v1`, tokenUrl: `${baseUrl}/oauth/token` }),
};
