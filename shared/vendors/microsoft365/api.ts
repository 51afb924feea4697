import type { ExpiryWarning, VendorErrorKind, VendorRequest } from '../contract';
import { isRecord, pathValue, stringAt, type VendorMessage } from '../core/errors';
import { graphScope, type M365Config, type M365Credentials, m365Endpoints } from './config';

/** Microsoft Graph requests and body readers (docs/vendors.md "Microsoft 365"). Pure. */

/** Entra ID v2 token endpoint, client credentials for Graph's `.default` scope. */
export function m365TokenRequest(credentials: M365Credentials, config: M365Config): VendorRequest {
  return {
    operation: 'token',
    method: 'POST',
    url: m365Endpoints(config).tokenUrl,
    headers: { Accept: 'application/json' },
    form: {
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      scope: graphScope(config),
      grant_type: 'client_credentials',
    },
  };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}`, Accept: 'application/json' });

export function organizationRequest(config: M365Config, token: string): VendorRequest {
  return {
    operation: 'probe',
    method: 'GET',
    url: `${m365Endpoints(config).graphRoot}/v1.0/organization`,
    headers: bearer(token),
  };
}

export const GDAP_PATH = '/v1.0/tenantRelationships/delegatedAdminRelationships';

/** The first GDAP page, or a page Graph linked to with `@odata.nextLink`. */
export function gdapRequest(config: M365Config, token: string, nextLink?: string): VendorRequest {
  return {
    operation: 'gdap',
    method: 'GET',
    url: nextLink ?? `${m365Endpoints(config).graphRoot}${GDAP_PATH}`,
    headers: bearer(token),
  };
}

/**
 * A next-page link is followed only when it points at the configured Graph host: the bearer token
 * must never be sent to a host a response body names.
 */
export function sameGraphHost(config: M365Config, link: string): boolean {
  try {
    return new URL(link).origin === new URL(m365Endpoints(config).graphRoot).origin;
  } catch {
    return false;
  }
}

/** `{value: [...], @odata.nextLink?}`, or undefined when the body is not a Graph collection. */
export function readCollection(body: unknown): { value: unknown[]; nextLink: string | undefined } | undefined {
  if (!isRecord(body) || !Array.isArray(body.value)) return undefined;
  return { value: body.value, nextLink: stringAt(body, '@odata.nextLink') };
}

export interface GdapRelationship {
  id: string;
  displayName: string;
  status: string;
  endDateTime: string | undefined;
  customerName: string | undefined;
}

export function readRelationship(item: unknown): GdapRelationship | undefined {
  const id = stringAt(item, 'id');
  const status = stringAt(item, 'status');
  if (id === undefined || status === undefined) return undefined;
  return {
    id,
    displayName: stringAt(item, 'displayName') ?? id,
    status,
    endDateTime: stringAt(item, 'endDateTime'),
    customerName: stringAt(item, 'customer', 'displayName'),
  };
}

/** Relationships in these states still grant access, so their end date matters. */
const LIVE_STATES = new Set(['active', 'expiring']);
export const GDAP_WARNING_DAYS = 30;

/**
 * GDAP relationships to warn about: every `expiring` one, and every live one that ends within
 * GDAP_WARNING_DAYS of `nowMs`. Expired or terminated relationships are history, not warnings.
 */
export function gdapExpiries(relationships: GdapRelationship[], nowMs: number): ExpiryWarning[] {
  const horizon = nowMs + GDAP_WARNING_DAYS * 24 * 60 * 60 * 1000;
  const warnings: ExpiryWarning[] = [];
  for (const relationship of relationships) {
    if (!LIVE_STATES.has(relationship.status)) continue;
    const endMs = relationship.endDateTime === undefined ? Number.NaN : Date.parse(relationship.endDateTime);
    const endsSoon = Number.isFinite(endMs) && endMs <= horizon;
    if (relationship.status !== 'expiring' && !endsSoon) continue;
    const customer = relationship.customerName ? ` with ${relationship.customerName}` : '';
    warnings.push({
      what: `GDAP relationship "${relationship.displayName}"${customer} (${relationship.status})`,
      // An `expiring` relationship without a readable end date is due now as far as we can tell.
      at: Number.isFinite(endMs) ? new Date(endMs).toISOString() : new Date(nowMs).toISOString(),
    });
  }
  return warnings.sort((a, b) => a.at.localeCompare(b.at));
}

/** Graph `{error: {code, message}}` or the token endpoint's `{error, error_description}`. */
export function readGraphMessage(body: unknown): VendorMessage | undefined {
  const graphMessage = stringAt(body, 'error', 'message');
  if (graphMessage !== undefined) {
    const code = stringAt(body, 'error', 'code');
    return code !== undefined ? { message: graphMessage, code } : { message: graphMessage };
  }
  const code = stringAt(body, 'error');
  const message = stringAt(body, 'error_description') ?? code;
  if (message === undefined) return undefined;
  return code !== undefined && code !== message ? { message, code } : { message };
}

/** Entra ID error codes that name a wrong setting rather than a wrong secret. */
const TENANT_NOT_FOUND = new Set([90002, 900023]);

/**
 * Entra answers an unknown tenant with 400 `invalid_request` and AADSTS90002 (or 900023 for a
 * malformed one): the tenant id setting is wrong, like a wrong region elsewhere (kind `not_found`).
 */
export function entraTokenErrorKind(_status: number, body: unknown): VendorErrorKind | undefined {
  const codes = pathValue(body, 'error_codes');
  if (Array.isArray(codes) && codes.some((code) => TENANT_NOT_FOUND.has(Number(code)))) return 'not_found';
  return undefined;
}
