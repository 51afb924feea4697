import type { VendorRequest } from '../contract';
import { isRecord, numberAt, stringAt, type VendorMessage } from '../core/errors';
import { type Pax8Config, type Pax8Credentials, pax8Endpoints } from './config';

/** Pax8 requests and body readers (docs/vendors.md "Pax8"). Pure: the connector sends them. */

/** Client-credentials token: a JSON body with the audience, as Pax8's auth guide shows. */
export function pax8TokenRequest(credentials: Pax8Credentials, config: Pax8Config): VendorRequest {
  const endpoints = pax8Endpoints(config);
  return {
    operation: 'token',
    method: 'POST',
    url: endpoints.tokenUrl,
    headers: { Accept: 'application/json' },
    json: {
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      audience: endpoints.audience,
      grant_type: 'client_credentials',
    },
  };
}

/** `GET /companies?page=0&size=1`: the smallest page of the partner's companies. */
export function pax8ProbeRequest(config: Pax8Config, accessToken: string): VendorRequest {
  return {
    operation: 'probe',
    method: 'GET',
    url: `${pax8Endpoints(config).apiRoot}/companies?page=0&size=1`,
    headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
  };
}

/** `page.totalElements` of a Pax8 page, or undefined when the body is not a page. */
export function readTotalCompanies(body: unknown): number | undefined {
  if (!isRecord(body) || !Array.isArray(body.content)) return undefined;
  return numberAt(body, 'page', 'totalElements') ?? body.content.length;
}

/**
 * Pax8 errors: the API's `{type, message, instance, status, details}`, the token service's
 * `{error, error_description}`, or a gateway's `{message}` (plain text is not a message).
 */
export function readPax8Message(body: unknown): VendorMessage | undefined {
  const code = stringAt(body, 'error') ?? stringAt(body, 'type');
  const message = stringAt(body, 'error_description') ?? stringAt(body, 'message') ?? stringAt(body, 'details') ?? code;
  if (message === undefined) return undefined;
  return code !== undefined && code !== message ? { message, code } : { message };
}
