import { createHash } from 'node:crypto';
import { services } from '../app/services';
import { ValidationError } from '../errors/domain-error';
import { type CertificatePin, networkPolicyFromSettings } from '../net/guard';
import type { Connector, VendorId, VendorSession } from '../vendors/contract';
import { type RateGate, StorageRateGate } from '../vendors/core/rate-gate';
import { createVendorHttp } from '../vendors/core/vendor-http';
import { connectors } from '../vendors/registry';

/**
 * Building a connector session: parse credentials and config with the vendor's schemas, pick the
 * network policy (the integration's private-address opt-in included) and an HTTP port bound to
 * the vendor account's shared rate limit. Credentials live only in the returned object, in memory,
 * for the length of one call (DESIGN §9.5).
 */
export interface SessionInput {
  tenantId: string;
  integrationId: string;
  vendor: VendorId;
  credentials: unknown;
  config: unknown;
  allowPrivateAddress: boolean;
  correlationId: string;
  /** Per-request timeout; the vendor port's default otherwise. */
  timeoutMs?: number;
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

let processGate: RateGate | undefined;

/**
 * The vendor accounts' shared budgets (DESIGN §9.10): one storage-backed window per vendor account,
 * so every instance and every integration that uses the same account spends from the same count.
 */
function vendorRateGate(): RateGate {
  processGate ??= new StorageRateGate(services().account, (vendor) => connectorFor(vendor).rateLimit);
  return processGate;
}

export function buildSession(input: SessionInput): { connector: Connector; session: VendorSession<unknown, unknown> } {
  const connector = connectorFor(input.vendor);
  const credentials = parseCredentials(connector, input.credentials);
  const config = parseConfig(connector, input.config);
  const svc = services();
  const policy = networkPolicyFromSettings(svc.settings, {
    ...(input.allowPrivateAddress ? { allowedPrivateHosts: configuredHosts(config) } : {}),
    certificatePins: certificatePins(input.vendor, config),
  });
  const http = createVendorHttp({
    vendor: input.vendor,
    policy,
    accountKey: connector.accountKey(credentials, config),
    rateGate: vendorRateGate(),
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
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
    },
  };
}

/** A cache key for credentials that were never saved: a digest, so the secret is not the key. */
export function unsavedIntegrationId(
  tenantId: string,
  vendor: VendorId,
  credentials: unknown,
  config: unknown,
): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([tenantId, vendor, credentials, config]))
    .digest('base64url')
    .slice(0, 22);
  return `unsaved:${digest}`;
}
