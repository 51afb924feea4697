import { randomBytes } from 'node:crypto';
import type { FakeVendor } from './core/all-fakes';
import { type FakeReply, type FakeRequest, FakeVendorServer } from './core/fake-server';

/**
 * Halo PSA fake (VENDORS.md "Halo PSA"): `POST /auth/token` (form client_credentials) and the
 * probe `GET /api/Client`, plus `GET /api/Tickets` for tool-call tests. Tokens are opaque strings
 * this server issued; anything else is refused.
 */
export const HALO_FAKE_CREDENTIALS = { clientId: 'fake-halo-client', clientSecret: 'fake-halo-secret' } as const;
export const HALO_FAKE_TOKEN_SECONDS = 3600;

const CLIENTS = [
  { id: 12, name: 'Contoso Ltd', inactive: false },
  { id: 13, name: 'Fabrikam Inc', inactive: false },
];

/** Halo's API answers errors as ASP.NET does: `{message}` (the token endpoint uses OAuth bodies). */
const haloError = (_status: number, message: string) => ({ message });

export function createHaloFake(): FakeVendorServer {
  const server = new FakeVendorServer('halopsa', { errorBody: haloError });
  const issued = new Set<string>();

  const authorised = (req: FakeRequest): boolean => {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return match?.[1] !== undefined && issued.has(match[1]);
  };
  const unauthorised: FakeReply = {
    status: 401,
    json: haloError(401, 'Authorization has been denied for this request.'),
  };

  server.route('POST', '/auth/token', (req) => {
    const form = new URLSearchParams(req.body);
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return { status: 400, json: { error: 'invalid_request' } };
    }
    if (form.get('grant_type') !== 'client_credentials')
      return { status: 400, json: { error: 'unsupported_grant_type' } };
    if (
      form.get('client_id') !== HALO_FAKE_CREDENTIALS.clientId ||
      form.get('client_secret') !== HALO_FAKE_CREDENTIALS.clientSecret
    ) {
      return { status: 400, json: { error: 'invalid_client' } };
    }
    const scope = form.get('scope') ?? '';
    if (scope === '') return { status: 400, json: { error: 'invalid_scope' } };
    const token = `halo-${randomBytes(12).toString('hex')}`;
    issued.add(token);
    return { json: { access_token: token, token_type: 'Bearer', expires_in: HALO_FAKE_TOKEN_SECONDS, scope } };
  });

  server.route('GET', '/api/Client', (req) => {
    if (!authorised(req)) return unauthorised;
    const size = Math.min(100, Math.max(1, Number(req.query.page_size ?? CLIENTS.length) || CLIENTS.length));
    const paged = req.query.pageinate === 'true';
    return { json: { record_count: CLIENTS.length, clients: paged ? CLIENTS.slice(0, size) : CLIENTS } };
  });

  server.route('GET', '/api/Tickets', (req) => {
    if (!authorised(req)) return unauthorised;
    return { json: { record_count: 1, tickets: [{ id: 1001, summary: 'Printer offline', client_id: 12 }] } };
  });

  // Halo writes are POSTs of arrays; the saved object(s) come back.
  let nextActionId = 500;
  server.route('POST', '/api/Actions', (req) => {
    if (!authorised(req)) return unauthorised;
    if (!Array.isArray(req.json) || req.json.length === 0)
      return { status: 400, json: haloError(400, 'Expected an array of actions.') };
    const saved = req.json.map((action: unknown) => ({ ...(action as Record<string, unknown>), id: ++nextActionId }));
    return { status: 201, json: saved.length === 1 ? saved[0] : saved };
  });

  // Webhook registration (a push from the hub): POST an array, DELETE by id.
  let nextWebhookId = 40;
  const webhooks = new Map<number, Record<string, unknown>>();
  server.route('POST', '/api/Webhook', (req) => {
    if (!authorised(req)) return unauthorised;
    const first = Array.isArray(req.json) ? (req.json[0] as Record<string, unknown> | undefined) : undefined;
    if (!first || typeof first.url !== 'string') {
      return { status: 400, json: haloError(400, 'Expected an array holding a webhook with a url.') };
    }
    const saved = { ...first, id: ++nextWebhookId };
    webhooks.set(saved.id, saved);
    return { status: 201, json: saved };
  });
  server.route('DELETE', '/api/Webhook/:id', (req) => {
    if (!authorised(req)) return unauthorised;
    if (!webhooks.delete(Number(req.params.id))) {
      return { status: 404, json: haloError(404, `Webhook ${req.params.id} not found.`) };
    }
    return { status: 200, json: {} };
  });

  return server;
}

export const halopsaFake: FakeVendor = {
  create: createHaloFake,
  credentials: { ...HALO_FAKE_CREDENTIALS },
  config: (baseUrl) => ({ baseUrl }),
};
