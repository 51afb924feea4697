import type { VendorRequest } from '../contract';
import { isRecord, numberAt, stringAt, type VendorMessage } from '../core/errors';
import { type HaloConfig, type HaloCredentials, haloBaseUrl } from './config';

/**
 * Halo PSA requests and body readers (docs/vendors.md "Halo PSA"). Pure: the connector sends them.
 * Halo's OpenAPI description declares no response schemas, so every reader is defensive.
 */

/**
 * `POST /auth/token`, form client_credentials with the configured scope. Halo's hosted
 * authorisation server may need to be told the tenant (`?tenant=`); its guides disagree on when,
 * so a configured tenant is always sent — it names the instance either way (docs/vendor-fidelity.md).
 */
export function haloTokenRequest(credentials: HaloCredentials, config: HaloConfig): VendorRequest {
  const tenant = config.tenant === undefined ? '' : `?tenant=${encodeURIComponent(config.tenant)}`;
  return {
    operation: 'token',
    method: 'POST',
    url: `${haloBaseUrl(config)}/auth/token${tenant}`,
    headers: { Accept: 'application/json' },
    form: {
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      scope: config.scope,
    },
  };
}

/** The cheapest authenticated read: one client, paged (`pageinate` is Halo's spelling). */
export function haloProbeRequest(config: HaloConfig, accessToken: string): VendorRequest {
  return {
    operation: 'probe',
    method: 'GET',
    url: `${haloBaseUrl(config)}/api/Client?pageinate=true&page_size=1&page_no=1`,
    headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
  };
}

/** How many clients the probe saw: `{record_count}` or a bare array; undefined when unreadable. */
export function readClientCount(body: unknown): number | undefined {
  if (Array.isArray(body)) return body.length;
  if (!isRecord(body)) return undefined;
  const count = numberAt(body, 'record_count');
  if (count !== undefined) return count;
  return Array.isArray(body.clients) ? body.clients.length : undefined;
}

/**
 * Halo's error bodies vary: OAuth `{error, error_description}` from the token endpoint, ASP.NET
 * `{message}` / `{Message, ExceptionMessage}` from the API (plain text is not a message: core/errors.ts).
 */
export function readHaloMessage(body: unknown): VendorMessage | undefined {
  const code = stringAt(body, 'error');
  const message =
    stringAt(body, 'error_description') ??
    stringAt(body, 'message') ??
    stringAt(body, 'Message') ??
    stringAt(body, 'ExceptionMessage') ??
    stringAt(body, 'title') ??
    code;
  if (message === undefined) return undefined;
  return code !== undefined && code !== message ? { message, code } : { message };
}

/**
 * Halo's `Webhook` schema (its OpenAPI description, `additionalProperties: false`) types the
 * authentication type and the HTTP method as integer codes. Neither the description (no enum, no
 * text) nor the client code generated from it says what the integers mean, and no public Halo
 * client sends them with a stated meaning; 1 for "Basic" and 1 for "POST" remain unverified, and
 * stay as they are until evidence says otherwise (docs/vendor-fidelity.md, Halo webhook codes).
 */
export const HALO_WEBHOOK_AUTH_BASIC = 1;
export const HALO_WEBHOOK_METHOD_POST = 1;
/** The Basic user name Halo sends; the receive path checks only the password. */
export const HALO_WEBHOOK_USERNAME = 'hub';

/**
 * One element of `POST /api/Webhook [ ... ]`: only fields of Halo's `Webhook` schema. Halo calls
 * `url` with Basic credentials whose password is the hub's webhook secret. The events that fire it
 * (`events`, Halo notification rules) are chosen in Halo, not pushed.
 */
export function haloWebhookBody(input: { name: string; url: string; secret: string }): Record<string, unknown> {
  return {
    name: input.name,
    url: input.url,
    content_type: 'application/json',
    method: HALO_WEBHOOK_METHOD_POST,
    authentication_type: HALO_WEBHOOK_AUTH_BASIC,
    basic_username: HALO_WEBHOOK_USERNAME,
    basic_password: input.secret,
    active: true,
  };
}
