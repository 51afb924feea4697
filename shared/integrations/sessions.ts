import { credentialCipher } from '../app/process-cipher';
import { ValidationError } from '../errors/domain-error';
import { type CertificatePin, networkPolicyFromSettings } from '../net/guard';
import type { Connector, GrantStore, VendorId, VendorSession } from '../vendors/contract';
import { type RateGate, StorageRateGate, type VendorBudget } from '../vendors/core/rate-gate';
import { credentialDigest } from '../vendors/core/token-cache';
import { createVendorHttp } from '../vendors/core/vendor-http';
import { connectors } from '../vendors/registry';
import { sessionDeps } from './deps';

/**
 * Building a connector session: parse credentials and config with the vendor's schemas, pick the
 * network policy (the integration's private-address opt-in included) and an HTTP port bound to
 * the origins the credentials may go to and to a request budget. Credentials live only in the
 * returned object, in memory, for the length of one call (docs/design.md §10.2).
 */
export interface SessionInput {
  tenantId: string;
  integrationId: string;
  vendor: VendorId;
  credentials: unknown;
  config: unknown;
  allowPrivateAddress: boolean;
  correlationId: string;
  /**
   * Where these credentials may be sent (core/destinations.ts): for stored credentials the
   * destinations they were saved with, for fresh ones the destinations of the config given with them.
   */
  allowedOrigins: readonly string[];
  /**
   * Whose budget the requests spend: a saved integration's (tenant + credential fingerprint) or the
   * tenant's small budget for testing credentials that are not saved yet.
   */
  budget: 'integration' | 'unsaved';
  /** Per-request timeout; the vendor port's default otherwise. */
  timeoutMs?: number;
  /** A saved integration's authorised grant (oauth-grant.ts), when it has one. */
  grant?: GrantStore;
}

export function connectorFor(vendor: VendorId): Connector {
  return connectors[vendor] as Connector;
}

function fieldErrors(where: string, issues: { path: PropertyKey[]; message: string }[]) {
  return issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
}

/** Vendor credential fields, validated; the error names fields, never values. */
export function parseCredentials(connector: Connector, credentials: unknown): unknown {
  const parsed = connector.credentialsSchema.safeParse(credentials);
  if (parsed.success) return parsed.data;
  const errors = fieldErrors('body.credentials', parsed.error.issues);
  throw new ValidationError(
    `The credentials are not valid for ${connector.catalog.name}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    errors,
  );
}

export function parseConfig(connector: Connector, config: unknown): unknown {
  const parsed = connector.configSchema.safeParse(config ?? {});
  if (parsed.success) return parsed.data;
  const errors = fieldErrors('body.config', parsed.error.issues);
  throw new ValidationError(
    `The configuration is not valid for ${connector.catalog.name}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    errors,
  );
}

/** Hosts named by URL-valued config fields: what a private-address opt-in allows, and nothing else. */
export function configuredHosts(config: unknown): string[] {
  if (typeof config !== 'object' || config === null) return [];
  const hosts: string[] = [];
  for (const value of Object.values(config)) {
    if (typeof value !== 'string') continue;
    try {
      const url = new URL(value);
      if (url.protocol === 'https:' || url.protocol === 'http:') hosts.push(url.hostname);
    } catch {
      // Not a URL: only URL-valued fields name hosts.
    }
  }
  return hosts;
}

/** TLS pins the parsed config declares, for connectors that support pinning (UniFi today). */
export function certificatePins(vendor: VendorId, config: unknown): CertificatePin[] {
  const pin = connectorFor(vendor).certificatePin?.(config);
  return pin ? [pin] : [];
}

/** Where a connector may send credentials with this config (parsed here), sorted. */
export function destinationsOf(vendor: VendorId, config: unknown): string[] {
  const connector = connectorFor(vendor);
  return [...new Set(connector.destinations(parseConfig(connector, config)))].sort();
}

/**
 * Requests per tenant and vendor for testing credentials that are not saved (unsaved tests and the
 * test before a create or a credential change). Small, because nobody tests by hand this fast, and
 * separate, so such tests never spend a saved integration's budget (docs/integrations.md).
 */
export const UNSAVED_TEST_BUDGET: VendorBudget = { requests: 60, windowSeconds: 60 };

let processGates: { account: unknown; integration: RateGate; unsaved: RateGate } | undefined;

/**
 * The storage-backed budgets (docs/design.md §10.5), shared by every instance: one window per tenant and
 * vendor credential at the vendor's documented figure, and one per tenant and vendor for unsaved tests.
 */
function vendorRateGates(): { integration: RateGate; unsaved: RateGate } {
  const { account } = sessionDeps();
  if (processGates?.account === account) return processGates;
  processGates = {
    account,
    integration: new StorageRateGate(account, (vendor) => connectorFor(vendor).rateLimit),
    unsaved: new StorageRateGate(
      account,
      () => UNSAVED_TEST_BUDGET,
      (vendor) => `this tenant's ${vendor} credential-test`,
    ),
  };
  return processGates;
}

/**
 * The budget key of a saved integration: the tenant and a keyed hash (HMAC under a key derived from
 * the credential key ring) of the vendor account and its credentials. Names a vendor shows anyone
 * (an EDR host, an Autotask user, a Pax8 client id) cannot select someone else's budget, and the
 * key is no plain hash of a secret that could be guessed offline.
 */
export async function integrationBudgetKey(
  tenantId: string,
  vendor: VendorId,
  accountKey: string,
  credentials: unknown,
): Promise<string> {
  // A vendor that counts per account (Connector.budgetScope) gets one budget for all its keys.
  const perAccount = connectorFor(vendor).budgetScope === 'account';
  const fingerprint = await credentialCipher().keyedDigest(
    'vendor-budget',
    `${vendor}\n${accountKey}\n${perAccount ? 'account' : credentialDigest(credentials)}`,
  );
  return `${tenantId}|${fingerprint}`;
}

export async function buildSession(
  input: SessionInput,
): Promise<{ connector: Connector; session: VendorSession<unknown, unknown> }> {
  const connector = connectorFor(input.vendor);
  const credentials = parseCredentials(connector, input.credentials);
  const config = parseConfig(connector, input.config);
  const policy = networkPolicyFromSettings(sessionDeps().settings, {
    ...(input.allowPrivateAddress ? { allowedPrivateHosts: configuredHosts(config) } : {}),
    certificatePins: certificatePins(input.vendor, config),
  });
  const gates = vendorRateGates();
  const http = createVendorHttp({
    vendor: input.vendor,
    policy,
    allowedOrigins: input.allowedOrigins,
    ...(input.budget === 'integration'
      ? {
          rateGate: gates.integration,
          accountKey: await integrationBudgetKey(
            input.tenantId,
            input.vendor,
            connector.accountKey(credentials, config),
            credentials,
          ),
          ...(connector.rateLimitFor ? { budget: connector.rateLimitFor(config) } : {}),
        }
      : { rateGate: gates.unsaved, accountKey: `unsaved|${input.tenantId}` }),
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
    ...(connector.concurrency ? { concurrency: connector.concurrency } : {}),
  });
  return {
    connector,
    session: {
      tenantId: input.tenantId,
      integrationId: input.integrationId,
      credentials,
      config,
      http,
      correlationId: input.correlationId,
      ...(input.grant ? { grant: input.grant } : {}),
    },
  };
}

/** A cache key for credentials that were never saved: a keyed digest, so the secret is not the key. */
export async function unsavedIntegrationId(
  tenantId: string,
  vendor: VendorId,
  credentials: unknown,
  config: unknown,
): Promise<string> {
  const digest = await credentialCipher().keyedDigest(
    'unsaved-integration',
    JSON.stringify([tenantId, vendor, credentialDigest(credentials), config]),
  );
  return `unsaved:${digest.slice(0, 32)}`;
}
