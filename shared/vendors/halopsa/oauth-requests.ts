import type { VendorRequest } from '../contract';
import { numberAt, stringAt } from '../core/errors';
import { type HaloConfig, type HaloCredentials, haloBaseUrl } from './config';

/**
 * Halo's authorisation-code flow (RFC 6749 §4.1 with PKCE, RFC 7636), as pure request builders and
 * readers: `{instance}/auth/authorize` in the admin's browser, `{instance}/auth/token` from the hub.
 * Halo's authorisation server is the instance's `/auth` (docs/vendors.md "Halo PSA"); a hosted
 * instance is told its tenant with `?tenant=` as the client-credentials request is.
 */

/**
 * The scopes the hub needs, by Halo's names (docs/vendor-fidelity.md): tickets read and write,
 * clients (Halo calls them customers), assets, users read, and webhooks write for the push.
 */
export const HALO_REQUIRED_SCOPES = [
  'read:tickets',
  'edit:tickets',
  'read:customers',
  'read:assets',
  'read:users',
  'edit:webhooks',
] as const;

/**
 * Which required scopes `granted` lacks. `all` grants everything, and an `edit:` scope includes the
 * `read:` of the same area (Halo's permission screen pairs them that way).
 */
export function missingHaloScopes(granted: string): string[] {
  const have = new Set(granted.split(/\s+/).filter((s) => s !== ''));
  if (have.has('all')) return [];
  return HALO_REQUIRED_SCOPES.filter((scope) => {
    if (have.has(scope)) return false;
    const [verb, area] = scope.split(':');
    return !(verb === 'read' && have.has(`edit:${area}`));
  });
}

/** The scope the hub asks for: the configured one unless it is the client-credentials default. */
export function requestedScope(config: HaloConfig): string {
  return config.scope === 'all' ? HALO_REQUIRED_SCOPES.join(' ') : config.scope;
}

function tenantQuery(config: HaloConfig): string {
  return config.tenant === undefined ? '' : `tenant=${encodeURIComponent(config.tenant)}`;
}

/** The address the admin's browser opens: Halo signs them in and asks them to consent. */
export function haloAuthorizeUrl(
  credentials: Pick<HaloCredentials, 'clientId'>,
  config: HaloConfig,
  input: { redirectUri: string; state: string; codeChallenge: string },
): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: credentials.clientId,
    redirect_uri: input.redirectUri,
    scope: requestedScope(config),
    state: input.state,
    code_challenge: input.codeChallenge,
    code_challenge_method: 'S256',
  });
  const tenant = tenantQuery(config);
  return `${haloBaseUrl(config)}/auth/authorize?${query.toString()}${tenant === '' ? '' : `&${tenant}`}`;
}

function tokenUrl(config: HaloConfig): string {
  const tenant = tenantQuery(config);
  return `${haloBaseUrl(config)}/auth/token${tenant === '' ? '' : `?${tenant}`}`;
}

/** The code the callback received, exchanged with the PKCE verifier that only the hub holds. */
export function haloCodeRequest(
  credentials: HaloCredentials,
  config: HaloConfig,
  input: { code: string; codeVerifier: string; redirectUri: string },
): VendorRequest {
  return {
    operation: 'token.code',
    method: 'POST',
    url: tokenUrl(config),
    headers: { Accept: 'application/json' },
    form: {
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: input.redirectUri,
      code_verifier: input.codeVerifier,
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
    },
  };
}

/** A refresh; Halo answers with a new refresh token and the old one stops working. */
export function haloRefreshRequest(
  credentials: HaloCredentials,
  config: HaloConfig,
  refreshToken: string,
): VendorRequest {
  return {
    operation: 'token.refresh',
    method: 'POST',
    url: tokenUrl(config),
    headers: { Accept: 'application/json' },
    form: {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
    },
  };
}

export interface HaloTokenSet {
  accessToken: string;
  /** Absent when Halo did not rotate it: the previous one stays. */
  refreshToken: string | undefined;
  expiresInSeconds: number;
  /** What was granted; RFC 6749 §5.1 lets a server leave it out when it equals what was asked. */
  scope: string | undefined;
}

/** Lifetime assumed when `expires_in` is missing: short, so the hub refreshes early. */
const FALLBACK_SECONDS = 300;

export function readHaloTokenSet(body: unknown): HaloTokenSet | undefined {
  const accessToken = stringAt(body, 'access_token');
  if (accessToken === undefined) return undefined;
  return {
    accessToken,
    refreshToken: stringAt(body, 'refresh_token'),
    expiresInSeconds: numberAt(body, 'expires_in') ?? FALLBACK_SECONDS,
    scope: stringAt(body, 'scope'),
  };
}
