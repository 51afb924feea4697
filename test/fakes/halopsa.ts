import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FakeVendor } from './core/all-fakes';
import { type FakeReply, type FakeRequest, FakeVendorServer } from './core/fake-server';
import { loadSlice, type SpecViolation } from './core/spec-check';
import { HaloListings } from './halopsa-listing';

/**
 * Halo PSA fake (docs/vendors.md "Halo PSA"): `POST /auth/token` (form client_credentials,
 * authorization_code with PKCE, refresh_token with rotation), `GET /auth/authorize` (signs the
 * browser in at once and redirects back with a code) and the probe `GET /api/Client`, plus
 * `GET /api/Tickets` for tool-call tests. Tokens are opaque strings this server issued; anything
 * else is refused.
 */
export const HALO_FAKE_CREDENTIALS = { clientId: 'fake-halo-client', clientSecret: 'fake-halo-secret' } as const;
export const HALO_FAKE_TOKEN_SECONDS = 3600;

const CLIENTS = [
  { id: 12, name: 'Contoso Ltd', inactive: false },
  { id: 13, name: 'Fabrikam Inc', inactive: false },
];

/** Halo's API answers errors as ASP.NET does: `{message}` (the token endpoint uses OAuth bodies). */
const haloError = (_status: number, message: string) => ({ message });

/**
 * A body that breaks Halo's OpenAPI description is refused the way ASP.NET model binding refuses
 * it: 400 with a validation problem listing the offending fields.
 */
function haloValidationProblem(violations: SpecViolation[]): FakeReply {
  const errors: Record<string, string[]> = {};
  for (const v of violations) {
    const key = v.at.replace(/^body/, '$');
    errors[key] = [...(errors[key] ?? []), v.message];
  }
  return {
    status: 400,
    headers: { 'Content-Type': 'application/problem+json; charset=utf-8' },
    json: {
      type: 'https://tools.ietf.org/html/rfc7231#section-6.5.1',
      title: 'One or more validation errors occurred.',
      status: 400,
      errors,
    },
  };
}

/** What the fake keeps of a webhook the hub created, and can deliver to as Halo would. */
export interface HaloFakeWebhook {
  id: string;
  name: string;
  url: string;
  authentication_type: number | null;
  method: number | null;
  basic_username: string | null;
  basic_password: string | null;
  active: boolean | null;
}

export class HaloFakeServer extends FakeVendorServer {
  readonly webhooks = new Map<string, HaloFakeWebhook>();
  /** Hosted Halo: when set, the token request must carry `?tenant=` with this value. */
  requiredTenant: string | undefined;
  /** What an authorisation grants instead of what was asked (an admin who left scopes unticked). */
  grantedScopes: string | undefined;
  /** `expires_in` of the tokens the authorisation-code and refresh grants issue. */
  grantTokenSeconds = HALO_FAKE_TOKEN_SECONDS;
  /** Refresh grants answered with a new token pair (each rotates the refresh token). */
  refreshes = 0;
  /** Refresh tokens presented again after they were rotated (refused with invalid_grant). */
  reusedRefreshTokens = 0;
  /** Seeded listings for sync (test/fakes/halopsa-listing.ts); unseeded entities answer as before. */
  readonly listings = new HaloListings();
  /** The clients `GET /api/Client` answers while no client listing is seeded; this server's own copy. */
  readonly clients: Array<Record<string, unknown>> = CLIENTS.map((c) => ({ ...c }));

  /**
   * Sends a delivery the way Halo calls a webhook: to its URL, with its Basic credentials when its
   * authentication type is Basic. Returns the receiver's status.
   */
  async deliver(id: string, payload: unknown): Promise<number> {
    const hook = this.webhooks.get(id);
    if (!hook) throw new Error(`no Halo webhook ${id}`);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (hook.authentication_type === HALO_FAKE_AUTH_BASIC) {
      const pair = `${hook.basic_username ?? ''}:${hook.basic_password ?? ''}`;
      headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    }
    const response = await fetch(hook.url, { method: 'POST', headers, body: JSON.stringify(payload) });
    await response.arrayBuffer();
    return response.status;
  }
}

/** Halo's webhook `authentication_type` for Basic, as the fake reads it (docs/vendor-fidelity.md). */
export const HALO_FAKE_AUTH_BASIC = 1;

export function createHaloFake(): HaloFakeServer {
  const server = new HaloFakeServer('halopsa', {
    errorBody: haloError,
    spec: {
      slice: loadSlice('halopsa'),
      prefix: '/api',
      caseInsensitive: true,
      refuse: (violations) => haloValidationProblem(violations),
    },
  });
  const issued = new Set<string>();

  const authorised = (req: FakeRequest): boolean => {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return match?.[1] !== undefined && issued.has(match[1]);
  };
  const unauthorised: FakeReply = {
    status: 401,
    json: haloError(401, 'Authorization has been denied for this request.'),
  };

  // Authorisation codes: single use, bound to the PKCE challenge, redirect URI and granted scope.
  const codes = new Map<string, { challenge: string; redirectUri: string; scope: string }>();
  // Live refresh tokens and their scope; a rotated one moves to `spent` and is refused from then on.
  const refreshTokens = new Map<string, string>();
  const spent = new Set<string>();
  const tokenPair = (scope: string): FakeReply => {
    const token = `halo-${randomBytes(12).toString('hex')}`;
    const refresh = `halo-refresh-${randomBytes(16).toString('hex')}`;
    issued.add(token);
    refreshTokens.set(refresh, scope);
    return {
      json: {
        access_token: token,
        token_type: 'Bearer',
        expires_in: server.grantTokenSeconds,
        refresh_token: refresh,
        scope,
      },
    };
  };

  // The browser leg: Halo would sign the admin in and ask for consent; the fake consents at once.
  server.route('GET', '/auth/authorize', (req) => {
    const q = req.query;
    if (server.requiredTenant !== undefined && q.tenant !== server.requiredTenant) {
      return { status: 400, json: { error: 'invalid_request', error_description: 'Unknown tenant.' } };
    }
    if (q.client_id !== HALO_FAKE_CREDENTIALS.clientId) return { status: 400, json: { error: 'unauthorized_client' } };
    if (!q.redirect_uri || !/^https?:\/\//.test(q.redirect_uri))
      return { status: 400, json: { error: 'invalid_request' } };
    const back = (params: Record<string, string>): FakeReply => {
      const url = new URL(q.redirect_uri ?? '');
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      if (q.state !== undefined) url.searchParams.set('state', q.state);
      return { status: 302, headers: { Location: url.toString() }, json: {} };
    };
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type' });
    // RFC 7636: S256 only here; a plain or missing challenge is refused.
    if (q.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge ?? '')) {
      return back({ error: 'invalid_request', error_description: 'PKCE S256 code_challenge required' });
    }
    const code = `halo-code-${randomBytes(16).toString('hex')}`;
    codes.set(code, {
      challenge: q.code_challenge ?? '',
      redirectUri: q.redirect_uri,
      scope: server.grantedScopes ?? q.scope ?? 'all',
    });
    return back({ code });
  });

  server.route('POST', '/auth/token', (req) => {
    const form = new URLSearchParams(req.body);
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return { status: 400, json: { error: 'invalid_request' } };
    }
    if (server.requiredTenant !== undefined && req.query.tenant !== server.requiredTenant) {
      return { status: 400, json: { error: 'invalid_client', error_description: 'Unknown tenant.' } };
    }
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code' || grantType === 'refresh_token') {
      if (
        form.get('client_id') !== HALO_FAKE_CREDENTIALS.clientId ||
        form.get('client_secret') !== HALO_FAKE_CREDENTIALS.clientSecret
      ) {
        return { status: 400, json: { error: 'invalid_client' } };
      }
      if (grantType === 'authorization_code') {
        const code = form.get('code') ?? '';
        const granted = codes.get(code);
        codes.delete(code); // single use, whatever happens next
        if (!granted)
          return { status: 400, json: { error: 'invalid_grant', error_description: 'Unknown or used code.' } };
        if (form.get('redirect_uri') !== granted.redirectUri) {
          return { status: 400, json: { error: 'invalid_grant', error_description: 'redirect_uri mismatch.' } };
        }
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || challenge !== granted.challenge) {
          return { status: 400, json: { error: 'invalid_grant', error_description: 'PKCE verification failed.' } };
        }
        return tokenPair(granted.scope);
      }
      const presented = form.get('refresh_token') ?? '';
      const scope = refreshTokens.get(presented);
      if (scope === undefined) {
        if (spent.has(presented)) server.reusedRefreshTokens++;
        return { status: 400, json: { error: 'invalid_grant', error_description: 'Invalid refresh token.' } };
      }
      refreshTokens.delete(presented);
      spent.add(presented);
      server.refreshes++;
      return tokenPair(scope);
    }
    if (grantType !== 'client_credentials') return { status: 400, json: { error: 'unsupported_grant_type' } };
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
    if (server.listings.has('clients')) return server.listings.reply('clients', req);
    const clients = server.clients;
    const size = Math.min(100, Math.max(1, Number(req.query.page_size ?? clients.length) || clients.length));
    const paged = req.query.pageinate === 'true';
    return { json: { record_count: clients.length, clients: paged ? clients.slice(0, size) : clients } };
  });

  server.route('GET', '/api/Tickets', (req) => {
    if (!authorised(req)) return unauthorised;
    if (server.listings.has('tickets')) return server.listings.reply('tickets', req);
    return { json: { record_count: 1, tickets: [{ id: 1001, summary: 'Printer offline', client_id: 12 }] } };
  });

  server.route('GET', '/api/Asset', (req) => {
    if (!authorised(req)) return unauthorised;
    if (server.listings.has('assets')) return server.listings.reply('assets', req);
    return { json: { record_count: 0, assets: [] } };
  });

  server.route('GET', '/api/Users', (req) => {
    if (!authorised(req)) return unauthorised;
    if (server.listings.has('users')) return server.listings.reply('users', req);
    return { json: { record_count: 0, users: [] } };
  });

  // One record by id (entity sync's reads); a record that is not there answers 404.
  const one = (listing: 'clients' | 'users', found: Record<string, unknown> | undefined) =>
    found ? { json: found } : { status: 404, json: { message: `No ${listing} record with this id.` } };
  server.route('GET', '/api/Client/:id', (req) => {
    if (!authorised(req)) return unauthorised;
    const id = Number(req.params.id);
    if (server.listings.has('clients')) return one('clients', server.listings.one('clients', id));
    return one(
      'clients',
      server.clients.find((c) => c.id === id),
    );
  });
  server.route('GET', '/api/Users/:id', (req) => {
    if (!authorised(req)) return unauthorised;
    const id = Number(req.params.id);
    return one('users', server.listings.has('users') ? server.listings.one('users', id) : undefined);
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

  // Webhook registration (a push from the hub): POST an array of Webhook (the spec hold has
  // checked every field), DELETE by its uuid.
  server.route('POST', '/api/Webhook', (req) => {
    if (!authorised(req)) return unauthorised;
    const first = Array.isArray(req.json) ? (req.json[0] as Record<string, unknown> | undefined) : undefined;
    if (!first || typeof first.url !== 'string' || first.url === '') {
      return { status: 400, json: haloError(400, 'Expected an array holding a webhook with a url.') };
    }
    const text = (key: string) => (typeof first[key] === 'string' ? (first[key] as string) : null);
    const int = (key: string) => (typeof first[key] === 'number' ? (first[key] as number) : null);
    const saved: HaloFakeWebhook = {
      id: randomUUID(),
      name: text('name') ?? '',
      url: first.url,
      authentication_type: int('authentication_type'),
      method: int('method'),
      basic_username: text('basic_username'),
      basic_password: text('basic_password'),
      active: typeof first.active === 'boolean' ? first.active : null,
    };
    server.webhooks.set(saved.id, saved);
    // Halo answers with the saved object; secrets are not echoed back.
    const { basic_password: _hidden, ...shown } = saved;
    return { status: 201, json: shown };
  });
  // Reconcile's listing: Halo's "List of Webhook", a bare array; secrets are not echoed back.
  server.route('GET', '/api/Webhook', (req) => {
    if (!authorised(req)) return unauthorised;
    return { json: [...server.webhooks.values()].map(({ basic_password: _hidden, ...shown }) => shown) };
  });
  server.route('DELETE', '/api/Webhook/:id', (req) => {
    if (!authorised(req)) return unauthorised;
    if (!server.webhooks.delete(String(req.params.id).toLowerCase())) {
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
