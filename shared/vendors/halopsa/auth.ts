import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowMs } from '../../clock';
import { callWithBearer, requestToken, tokenErrorKind } from '../client-credentials';
import {
  type GrantStore,
  type StoredGrant,
  VendorError,
  type VendorRequest,
  type VendorResponse,
  type VendorSession,
} from '../contract';
import { badResponse, isSuccess, vendorErrorFrom } from '../core/errors';
import { tokenCacheKey } from '../core/token-cache';
import { haloTokenRequest, readHaloMessage } from './api';
import { type HaloConfig, type HaloCredentials, haloBaseUrl } from './config';
import { type HaloTokenSet, haloCodeRequest, haloRefreshRequest, readHaloTokenSet } from './oauth-requests';

/**
 * How the Halo connector gets a bearer token: client credentials (cached per process), or the
 * grant an admin authorised in a browser, refreshed before it expires with the rotated refresh
 * token stored atomically (docs/integrations.md "Halo PSA authorisation").
 */
export type HaloSession = VendorSession<HaloCredentials, HaloConfig>;

/** A grant's access token is refreshed when less than this is left of it. */
export const HALO_REFRESH_MARGIN_MS = 2 * 60_000;

/** The vendorCode of "no one has authorised this integration yet" (classify.ts names the fix). */
export const HALO_AUTHORISATION_REQUIRED = 'authorisation_required';

/** The token depends on the instance and the scope as much as on the credentials. */
export function tokenKey(session: HaloSession): string {
  return tokenCacheKey(session.integrationId, 'halopsa-token', {
    credentials: session.credentials,
    instance: haloBaseUrl(session.config),
    scope: session.config.scope,
  });
}

function authorisationRequired(message: string): VendorError {
  return new VendorError({
    vendor: 'halopsa',
    operation: 'token.refresh',
    kind: 'auth',
    vendorCode: HALO_AUTHORISATION_REQUIRED,
    vendorMessage: message,
  });
}

/** Sends a token request and reads the token set; a refusal keeps Halo's OAuth error code. */
async function tokenCall(session: HaloSession, request: VendorRequest): Promise<HaloTokenSet> {
  const response: VendorResponse = await session.http.request(request);
  if (!isSuccess(response.status)) {
    throw vendorErrorFrom(
      'halopsa',
      request.operation,
      response,
      readHaloMessage,
      tokenErrorKind(response.status, response.body),
    );
  }
  const set = readHaloTokenSet(response.body);
  if (!set)
    throw badResponse('halopsa', request.operation, response, 'The token endpoint answered without an access_token');
  return set;
}

/** The grant a token set makes, keeping the previous refresh token when Halo did not rotate it. */
export function grantFrom(set: HaloTokenSet, previous: StoredGrant | undefined, atMs: number): StoredGrant {
  const refreshToken = set.refreshToken ?? previous?.refreshToken;
  if (refreshToken === undefined) {
    throw new VendorError({
      vendor: 'halopsa',
      operation: 'token.code',
      kind: 'bad_response',
      vendorMessage: 'Halo issued no refresh token; check that the application allows refresh tokens.',
    });
  }
  return {
    refreshToken,
    accessToken: set.accessToken,
    accessExpiresAtMs: atMs + set.expiresInSeconds * 1000,
    scope: set.scope ?? previous?.scope ?? '',
  };
}

/** Exchanges the code the callback received (with the PKCE verifier) for the first grant. */
export async function exchangeHaloCode(
  session: HaloSession,
  input: { code: string; codeVerifier: string; redirectUri: string },
): Promise<StoredGrant> {
  const set = await tokenCall(session, haloCodeRequest(session.credentials, session.config, input));
  return grantFrom(set, undefined, nowMs());
}

function usable(grant: StoredGrant, atMs: number): grant is StoredGrant & { accessToken: string } {
  return grant.accessToken !== undefined && (grant.accessExpiresAtMs ?? 0) - atMs > HALO_REFRESH_MARGIN_MS;
}

/**
 * A current access token from the stored grant, and the scopes granted with it. Refreshing
 * rotates the refresh token, so the new grant is written conditionally on the version read: when
 * another caller refreshed first, its grant is used (our refresh was refused as a reuse, or our
 * write lost); when only something else on the row changed, ours is written again on the new
 * version, because ours is then the only refresh token Halo still accepts.
 */
export async function grantAccessToken(session: HaloSession): Promise<{ token: string; scope: string }> {
  const store = session.grant;
  if (!store) throw authorisationRequired('This integration has not been authorised in Halo yet.');
  const read = await store.read();
  if (!read) throw authorisationRequired('This integration has not been authorised in Halo yet.');
  if (usable(read.grant, nowMs())) return { token: read.grant.accessToken, scope: read.grant.scope };
  // Calls of one process that find the same token due share one refresh: a second refresh with
  // the same refresh token would only be refused as a reuse.
  const key = `${session.tenantId}|${session.integrationId}|${createHash('sha256').update(read.grant.refreshToken).digest('hex')}`;
  const running = refreshing.get(key);
  if (running) return running;
  const refresh = refreshGrant(session, store, read).finally(() => refreshing.delete(key));
  refreshing.set(key, refresh);
  return refresh;
}

const refreshing = new Map<string, Promise<{ token: string; scope: string }>>();

/** How often a refused refresh looks again for the grant another instance is writing. */
const REREAD_ATTEMPTS = 5;
const REREAD_STEP_MS = 100;

async function refreshGrant(
  session: HaloSession,
  store: GrantStore,
  read: { grant: StoredGrant; version: string },
): Promise<{ token: string; scope: string }> {
  const used = read.grant.refreshToken;
  let next: StoredGrant;
  try {
    next = grantFrom(
      await tokenCall(session, haloRefreshRequest(session.credentials, session.config, used)),
      read.grant,
      nowMs(),
    );
  } catch (error) {
    if (!(error instanceof VendorError && error.vendorCode === 'invalid_grant')) throw error;
    // Refused as a reuse: another instance may have rotated it and be writing its grant now.
    for (let attempt = 1; attempt <= REREAD_ATTEMPTS; attempt++) {
      const again = await store.read();
      if (again && again.grant.refreshToken !== used && usable(again.grant, nowMs())) {
        return { token: again.grant.accessToken, scope: again.grant.scope };
      }
      if (attempt < REREAD_ATTEMPTS) await sleep(REREAD_STEP_MS * attempt);
    }
    throw authorisationRequired(
      'Halo refused the stored refresh token (revoked, expired or already used); authorise the integration again.',
    );
  }
  let version = read.version;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await store.replace(version, next)) return { token: next.accessToken ?? '', scope: next.scope };
    const again = await store.read();
    if (!again) throw authorisationRequired('The grant was removed while it was being refreshed.');
    if (again.grant.refreshToken !== used) {
      // Someone rotated first; if theirs is usable, use it (ours was issued too, but one is enough).
      if (usable(again.grant, nowMs())) return { token: again.grant.accessToken, scope: again.grant.scope };
      break;
    }
    version = again.version;
  }
  return { token: next.accessToken ?? '', scope: next.scope };
}

/** One request with the integration's bearer token, whichever way it is obtained. */
export async function haloBearerCall(
  session: HaloSession,
  build: (token: string) => VendorRequest,
): Promise<{ response: VendorResponse; scope: string | undefined }> {
  if (session.config.grant === 'authorization_code') {
    const { token, scope } = await grantAccessToken(session);
    return { response: await session.http.request(build(token)), scope };
  }
  const response = await callWithBearer({
    http: session.http,
    cacheKey: tokenKey(session),
    fetchToken: () =>
      requestToken('halopsa', session.http, haloTokenRequest(session.credentials, session.config), readHaloMessage),
    build,
  });
  return { response, scope: undefined };
}
