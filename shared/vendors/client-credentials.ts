import {
  kindForStatus,
  type VendorErrorKind,
  type VendorHttp,
  type VendorId,
  type VendorRequest,
  type VendorResponse,
} from './contract';
import { badResponse, isSuccess, type MessageReader, numberAt, stringAt, vendorErrorFrom } from './core/errors';
import { type IssuedToken, type TokenCache, vendorTokens } from './core/token-cache';

/**
 * OAuth 2.0 client-credentials plumbing shared by the connectors that use it (Halo PSA, Pax8,
 * Microsoft 365): read a token response, map token-endpoint refusals, and call with a cached
 * bearer token. Each connector still builds its own token request (form or JSON, scope or audience).
 */

/** Lifetime assumed when a token response omits `expires_in`: short, so we ask again early. */
const FALLBACK_LIFETIME_SECONDS = 300;

/** `{access_token, expires_in}`, or undefined when the body is not a token response. */
export function readIssuedToken(body: unknown): IssuedToken | undefined {
  const token = stringAt(body, 'access_token');
  if (token === undefined) return undefined;
  return { token, expiresInSeconds: numberAt(body, 'expires_in') ?? FALLBACK_LIFETIME_SECONDS };
}

/** RFC 6749 §5.2 error bodies: `{error, error_description}`. */
export const readOAuthError: MessageReader = (body) => {
  const code = stringAt(body, 'error');
  const message = stringAt(body, 'error_description') ?? code;
  if (message === undefined) return undefined;
  return code !== undefined && code !== message ? { message, code } : { message };
};

/**
 * Token endpoints answer a wrong client id or secret with 400 `invalid_client` as often as with
 * 401; both mean the credentials are wrong (kind `auth`), not that the request was malformed.
 */
export function tokenErrorKind(status: number, body: unknown): VendorErrorKind {
  const error = stringAt(body, 'error');
  if (error === 'invalid_client' || error === 'unauthorized_client' || error === 'invalid_grant') return 'auth';
  if (error === 'invalid_scope' || error === 'access_denied') return status === 401 ? 'auth' : 'forbidden';
  return kindForStatus(status);
}

/** Sends a token request; a refusal becomes a VendorError with the vendor's message verbatim. */
export async function requestToken(
  vendor: VendorId,
  http: VendorHttp,
  request: VendorRequest,
  readMessage: MessageReader,
  /** A vendor's own reading of a refusal first (e.g. Entra's "tenant not found"), then the OAuth one. */
  vendorKind?: (status: number, body: unknown) => VendorErrorKind | undefined,
): Promise<IssuedToken> {
  const response = await http.request(request);
  if (!isSuccess(response.status)) {
    const kind = vendorKind?.(response.status, response.body) ?? tokenErrorKind(response.status, response.body);
    throw vendorErrorFrom(vendor, request.operation, response, readMessage, kind);
  }
  const issued = readIssuedToken(response.body);
  if (!issued)
    throw badResponse(vendor, request.operation, response, 'The token endpoint answered without an access_token');
  return issued;
}

export interface BearerCall {
  http: VendorHttp;
  /** From tokenCacheKey(integrationId, purpose, {credentials, token endpoint, scope}). */
  cacheKey: string;
  fetchToken: () => Promise<IssuedToken>;
  build: (accessToken: string) => VendorRequest;
  cache?: TokenCache;
}

/**
 * One call with a cached bearer token. A 401 drops the token so the next call (the caller's
 * retry, or the next probe) fetches a fresh one; this call is not repeated (connectors never retry).
 */
export async function callWithBearer(call: BearerCall): Promise<VendorResponse> {
  const cache = call.cache ?? vendorTokens;
  const token = await cache.getToken(call.cacheKey, call.fetchToken);
  const response = await call.http.request(call.build(token));
  if (response.status === 401) cache.invalidate(call.cacheKey);
  return response;
}
