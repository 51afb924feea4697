import type { z } from 'zod';
import { DomainError } from '../errors/domain-error';
import type { CertificatePin } from '../net/guard';
import type { ConcurrencyRule } from './core/concurrency-gate';

/**
 * The contract every vendor connector (shared/vendors/<vendor>/) implements and everything else
 * (integrations, health probes, pipeline tool calls) programs against. Connectors never see storage
 * or queues: they get a session with decrypted credentials, parsed config and an HTTP port that
 * already applies the network guard, timeouts and the vendor's shared rate limit.
 */

/** docs/design.md §8 vendor ids. */
export const VENDOR_IDS = [
  'autotask',
  'halopsa',
  'datto-rmm',
  'datto-edr',
  'itglue',
  'pax8',
  'unifi',
  'microsoft365',
] as const;
export type VendorId = (typeof VENDOR_IDS)[number];

/** One field an admin fills in (docs/design.md §8 `credentialFields` / `configFields`). */
export interface FieldSpec {
  name: string;
  label: string;
  /** Secret fields are encrypted at rest and never shown again. */
  secret: boolean;
  required: boolean;
  hint: string;
}

/** What `GET /api/v1/vendors` shows for one vendor. */
export interface VendorCatalogEntry {
  id: VendorId;
  name: string;
  credentialFields: FieldSpec[];
  configFields: FieldSpec[];
  /** e.g. `probe`, `quota`, `webhooks`, `ticket.note`, `device.restart`, `read-only`. */
  capabilities: string[];
}

export interface VendorRequest {
  /** A short name for logs and counters, e.g. `probe`, `zone-lookup`, `token`, `ticket.note`. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute URL (the connector resolves base URL, region and zone). */
  url: string;
  headers?: Record<string, string>;
  /** JSON body (sent with Content-Type application/json unless headers say otherwise). */
  json?: unknown;
  /** Form body (application/x-www-form-urlencoded), for token endpoints. */
  form?: Record<string, string>;
  /** Overrides the port's default timeout. */
  timeoutMs?: number;
}

export interface VendorResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, the text otherwise ('' when empty). */
  body: unknown;
}

/**
 * How connectors reach a vendor. The implementation (shared/vendors/core) applies the SSRF guard,
 * the timeout and the per-account rate limit, and returns every HTTP status as a response: the
 * connector maps non-2xx to a VendorError with the vendor's own message. Network failures and
 * timeouts are thrown as VendorError (kind `network` / `timeout`).
 */
export interface VendorHttp {
  request(request: VendorRequest): Promise<VendorResponse>;
}

export interface VendorSession<Credentials, Config> {
  tenantId: string;
  /** Stable cache key for tokens and zone lookups; `unsaved:<digest>` while testing unsaved credentials. */
  integrationId: string;
  credentials: Credentials;
  config: Config;
  http: VendorHttp;
  correlationId: string;
  /**
   * The stored OAuth grant of a saved integration that an admin authorised in a browser (Halo's
   * authorisation-code flow); absent for client-credential integrations and unsaved tests.
   */
  grant?: GrantStore;
}

/** An authorisation-code grant as stored (encrypted) with its integration. Never logged. */
export interface StoredGrant {
  refreshToken: string;
  accessToken?: string | undefined;
  /** Epoch ms at which the access token expires. */
  accessExpiresAtMs?: number | undefined;
  /** The scopes the vendor granted, space-separated as it answered. */
  scope: string;
}

/**
 * Where a connector reads and rotates its grant. `replace` is conditional on the version read:
 * false when someone else wrote the row first (the caller reads again and decides).
 */
export interface GrantStore {
  read(): Promise<{ grant: StoredGrant; version: string } | undefined>;
  replace(version: string, next: StoredGrant): Promise<boolean>;
}

/** Quota as the vendor reports it; headroom = 1 − used/limit, in [0, 1]. */
export interface QuotaReading {
  used: number;
  limit: number;
  windowSeconds: number;
  headroom: number;
}

/** Something that will stop working on a known date (API key expiry, token age, GDAP end). */
export interface ExpiryWarning {
  what: string;
  at: string;
}

export interface ProbeSuccess<Config> {
  quota?: QuotaReading;
  expiries?: ExpiryWarning[];
  /** Free-text notes for the admin (e.g. "2 GDAP relationships are expiring"). */
  notes?: string[];
  /** Config learned while probing that should be saved (IT Glue region, Autotask zone URL). */
  resolvedConfig?: Partial<Config>;
  /** Scopes the integration needs that the vendor did not grant, by name (needs_attention). */
  missingScopes?: string[];
}

export interface Connector<Credentials = unknown, Config = unknown> {
  readonly catalog: VendorCatalogEntry;
  readonly credentialsSchema: z.ZodType<Credentials>;
  readonly configSchema: z.ZodType<Config>;
  /** The vendor's documented request budget per account (docs/design.md §9.10). */
  readonly rateLimit: { requests: number; windowSeconds: number };
  /** The budget of one integration when its config can change it (Halo: admins raise limits). */
  rateLimitFor?(config: Config): { requests: number; windowSeconds: number };
  /**
   * Identifies the vendor account (e.g. Autotask user, RMM key, EDR instance). The hub never keys a
   * budget by this alone: the session keys it by tenant and a keyed hash of this plus the
   * credentials (shared/integrations/sessions.ts), so nobody spends a budget with guessed names.
   */
  accountKey(credentials: Credentials, config: Config): string;
  /**
   * What the vendor counts its limit by. `credential` (the default): the budget key covers the
   * account key and the credentials. `account`: the vendor counts per account whatever key is
   * used (Datto RMM), so the budget key covers the account key alone — still under the tenant and
   * still HMAC'd, so it selects nothing outside the tenant.
   */
  readonly budgetScope?: 'credential' | 'account';
  /**
   * What an operation needs in the vendor's permission model (Graph: the application permission),
   * named in the hint of a 403 for it.
   */
  permissionFor?(operation: string): string | undefined;
  /** The vendor's limit on requests in flight at once, if it has one (Autotask's thread limit). */
  readonly concurrency?: ConcurrencyRule;
  /**
   * Every origin (`scheme://host:port`, or a learned host family such as `https://*.autotask.net:443`)
   * a request of this config may reach, credentials included (shared/vendors/core/destinations.ts).
   * The config fields that change this set are the vendor's destination fields: changing them needs
   * fresh credentials, and a session refuses to send stored credentials anywhere else.
   */
  destinations(config: Config): string[];
  /** One cheap authenticated call. Throws VendorError on any failure; never retries. */
  probe(session: VendorSession<Credentials, Config>): Promise<ProbeSuccess<Config>>;
  /**
   * Only for vendors reached on a customer's own host with its own certificate (UniFi consoles):
   * the TLS pin the config declares, so the guard trusts that certificate and nothing else.
   */
  certificatePin?(config: Config): CertificatePin | undefined;
  /**
   * What a new integration must give that the vendor's API does not report (Datto key expiry):
   * checked at create only, so integrations saved before keep working (docs/integrations.md).
   */
  requiredAtCreate?(config: Config): { field: string; message: string } | undefined;
}

/** Why a vendor call failed, in the terms the hub acts on. */
export type VendorErrorKind =
  | 'auth' // 401: credentials wrong or rotated
  | 'forbidden' // 403: permissions, IP block, licence
  | 'not_found' // 404: wrong base URL, region, zone or id
  | 'rate_limited' // 429
  | 'rejected' // other 4xx: the request itself was refused
  | 'unavailable' // 5xx
  | 'timeout'
  | 'network' // reset, refused, DNS
  | 'bad_response' // 2xx with a body we cannot read
  | 'blocked'; // the network guard refused the URL

export interface VendorErrorInit {
  vendor: VendorId;
  operation: string;
  kind: VendorErrorKind;
  httpStatus?: number;
  vendorCode?: string;
  /**
   * The vendor's message as its known error shape carries it (never a raw body), or ours. Bounded
   * and stripped of control characters by the constructor (boundedVendorText).
   */
  vendorMessage: string;
  retryAfterMs?: number;
}

/** Longest vendor message the hub repeats (status page, test results, logs). */
export const MAX_VENDOR_MESSAGE = 300;

/**
 * A vendor's words made safe to repeat: each run of control characters (C0, DEL, C1, line and
 * paragraph separators — line breaks and escape sequences included) becomes one space, and the text
 * is cut at MAX_VENDOR_MESSAGE characters (code points, so a cut never splits a surrogate pair).
 */
export function boundedVendorText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const cleaned = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  const chars = [...cleaned];
  return chars.length <= MAX_VENDOR_MESSAGE ? cleaned : `${chars.slice(0, MAX_VENDOR_MESSAGE - 1).join('')}…`;
}

const RETRYABLE: ReadonlySet<VendorErrorKind> = new Set(['rate_limited', 'unavailable', 'timeout', 'network']);

/**
 * The one typed error every connector throws. `retryable` follows docs/vendors.md: 401/403/404 are
 * configuration signals and never retried; 5xx, timeouts and resets are; 429 waits for Retry-After.
 */
export class VendorError extends DomainError {
  readonly vendor: VendorId;
  readonly operation: string;
  readonly kind: VendorErrorKind;
  readonly httpStatus: number | undefined;
  readonly vendorCode: string | undefined;
  readonly vendorMessage: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(given: VendorErrorInit) {
    // Codes come from vendor bodies too: the same bound, shorter.
    const init = {
      ...given,
      vendorMessage: boundedVendorText(given.vendorMessage),
      ...(given.vendorCode !== undefined ? { vendorCode: boundedVendorText(given.vendorCode).slice(0, 100) } : {}),
    };
    super(
      'vendor_error',
      `${init.vendor} ${init.operation} failed${init.httpStatus ? ` with HTTP ${init.httpStatus}` : ` (${init.kind})`}: ${init.vendorMessage}`,
      {
        vendor: init.vendor,
        operation: init.operation,
        kind: init.kind,
        ...(init.httpStatus !== undefined ? { vendorStatus: init.httpStatus } : {}),
        ...(init.vendorCode !== undefined ? { vendorCode: init.vendorCode } : {}),
        vendorMessage: init.vendorMessage,
      },
    );
    this.vendor = init.vendor;
    this.operation = init.operation;
    this.kind = init.kind;
    this.httpStatus = init.httpStatus;
    this.vendorCode = init.vendorCode;
    this.vendorMessage = init.vendorMessage;
    this.retryable = RETRYABLE.has(init.kind);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The kind an HTTP status means (for statuses that are failures). */
export function kindForStatus(status: number): VendorErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'unavailable';
  return 'rejected';
}
