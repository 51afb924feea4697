import type { Principal } from '../apikeys/principal';
import { grants } from '../apikeys/scopes';
import { credentialCipher } from '../app/process-cipher';
import { recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
import { crashPoint } from '../faults/crash-points';
import { AlreadyExistsError } from '../storage/errors';
import { newestFirstId } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import type { VendorId } from '../vendors/contract';
import { uncoveredDestinations } from '../vendors/core/destinations';
import type { TestResult } from './api-schemas';
import type { IntegrationDeps } from './deps';
import { forgetIntegrationLiveness } from './liveness';
import { grantStoreFor, type OAuthView, oauthViewOf, usesAuthorisationCode } from './oauth-grant';
import { registerForProbes, unregisterFromProbes } from './probe-index';
import { probeOnce, toTestResult } from './probe-once';
import {
  buildSession,
  certificatePins,
  configuredHosts,
  connectorFor,
  destinationsOf,
  parseConfig,
  parseCredentials,
  unsavedIntegrationId,
} from './sessions';
import type { IntegrationRecord } from './tables';

export interface IntegrationView {
  id: string;
  vendor: VendorId;
  name: string;
  isDefault: boolean;
  config: Record<string, unknown>;
  credentialFields: string[];
  allowPrivateAddress: boolean;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  credentialsUpdatedAt: string;
  /** Halo PSA authorised in a browser: the redirect URI to register and what was granted. */
  oauth?: OAuthView;
}

/** Between the integration row and its default pointer; reads heal a missing pointer. */
export const CRASH_AFTER_INTEGRATION_ROW = 'integrations.create.after-row';

export class IntegrationTestFailedError extends DomainError {
  constructor(readonly test: TestResult) {
    super(
      'integration_test_failed',
      `The connection test failed (${test.status}${test.vendorStatus ? `, HTTP ${test.vendorStatus}` : ''}); nothing was saved. ${test.hint ?? ''}`.trim(),
      { test },
    );
  }
}

/**
 * A certificate pin and the host it applies to, as one comparable value: setting a pin or moving
 * it to another host is the admin decision, keeping or removing one is not (removing one only
 * restores full verification).
 */
function pinOf(vendor: VendorId, config: unknown): string | undefined {
  const pin = certificatePins(vendor, config).find((p) => p.sha256 !== undefined);
  return pin ? `${pin.host} ${pin.sha256}` : undefined;
}

/**
 * What weakens the network guard for one integration needs scope 'admin' (docs/design.md §10.5): the
 * private-address opt-in and a certificate pin (docs/decisions.md "UniFi console certificate pinning").
 */
function requireAdminForPrivateAddress(
  caller: Principal,
  requested: boolean | undefined,
  pin: { before?: string | undefined; after?: string | undefined } = {},
): void {
  if (grants(caller.scopes, 'admin')) return;
  if (requested) {
    throw new DomainError('insufficient_scope', "Allowing a private vendor address needs a key with scope 'admin'.", {
      requiredScope: 'admin',
    });
  }
  if (pin.after !== undefined && pin.after !== pin.before) {
    throw new DomainError(
      'insufficient_scope',
      "Pinning a console certificate (certificateSha256) needs a key with scope 'admin'.",
      { requiredScope: 'admin' },
    );
  }
}

/**
 * Stored credentials go only where they were saved for (docs/integrations.md "Where credentials
 * may go"): a config change that adds a destination needs the credentials entered again.
 */
export class DestinationChangeNeedsCredentialsError extends DomainError {
  constructor(vendor: VendorId, added: string[]) {
    super(
      'destination_change_needs_credentials',
      `This change points the ${vendor} integration at ${added.join(', ')}, where its stored credentials were never sent. Give the credentials again in the same request (they are tested there, and only they); nothing was saved or sent.`,
      { vendor, newDestinations: added },
    );
  }
}

function parseStoredConfig(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function toView(
  stored: Stored<IntegrationRecord>,
  defaultId: string | undefined,
  publicBaseUrl: string | undefined,
): IntegrationView {
  const v = stored.value;
  const oauth = oauthViewOf(v, publicBaseUrl);
  return {
    id: stored.rowKey,
    vendor: v.vendor,
    name: v.name,
    isDefault: defaultId === stored.rowKey,
    config: parseStoredConfig(v.config),
    credentialFields: v.credentialFields,
    allowPrivateAddress: v.allowPrivateAddress,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    createdBy: v.createdBy,
    credentialsUpdatedAt: v.credentialsUpdatedAt,
    ...(oauth ? { oauth } : {}),
  };
}

/**
 * The default integration of a vendor. A pointer that is missing (crash after the first row) or
 * names a deleted integration is repaired here: the oldest remaining integration of the vendor
 * becomes the default, with an insert-if-absent / ETag-conditional write so racing readers agree.
 */
export async function resolveDefault(
  deps: IntegrationDeps,
  tenantId: string,
  vendor: VendorId,
): Promise<string | undefined> {
  const pointer = await deps.tables.defaults.get(tenantId, vendor);
  if (pointer && (await deps.tables.integrations.get(tenantId, pointer.value.integrationId))) {
    return pointer.value.integrationId;
  }
  let oldest: string | undefined;
  for await (const row of deps.tables.integrations.iterate(tenantId)) {
    if (row.value.vendor === vendor) oldest = row.rowKey; // ids are newest first: the last match is the oldest
  }
  const healed = await deps.tables.defaults.update(tenantId, vendor, (current) => {
    if (current && current.integrationId !== pointer?.value.integrationId) return undefined; // someone else fixed it
    return oldest ? { integrationId: oldest } : undefined;
  });
  if (!oldest) {
    if (pointer) await deps.tables.defaults.delete(tenantId, vendor, pointer.etag).catch(() => false);
    return undefined;
  }
  return healed?.value.integrationId ?? oldest;
}

/**
 * Runs the vendor probe on credentials about to be saved and refuses failing ones (422 with the
 * result). What the probe learned (IT Glue region, Autotask zone) joins the config, so later calls
 * skip the search.
 */
async function testBeforeSave(
  tenantId: string,
  vendor: VendorId,
  credentials: unknown,
  config: Record<string, unknown>,
  options: { allowPrivateAddress: boolean; correlationId: string; allowedOrigins: readonly string[] },
): Promise<{ test: TestResult; config: Record<string, unknown> }> {
  const { connector, session } = await buildSession({
    tenantId,
    integrationId: await unsavedIntegrationId(tenantId, vendor, credentials, config),
    vendor,
    credentials,
    config,
    budget: 'unsaved',
    ...options,
  });
  const run = await probeOnce(connector, session);
  const test = toTestResult(run);
  if (!test.ok) throw new IntegrationTestFailedError(test);
  const learned = run.success?.resolvedConfig as Record<string, unknown> | undefined;
  return { test, config: learned ? { ...config, ...learned } : config };
}

export interface CreateOptions {
  skipTest: boolean;
  correlationId: string;
  /** Fixed by an Idempotency-Key: a retry's insert then conflicts instead of connecting twice. */
  id?: string | undefined;
}

export async function testUnsavedConnection(
  caller: Principal,
  input: { vendor: VendorId; credentials: unknown; config?: unknown; allowPrivateAddress?: boolean | undefined },
  correlationId: string,
): Promise<TestResult> {
  requireAdminForPrivateAddress(caller, input.allowPrivateAddress, {
    after: pinOf(input.vendor, parseConfig(connectorFor(input.vendor), input.config ?? {})),
  });
  const integrationId = await unsavedIntegrationId(
    caller.tenantId,
    input.vendor,
    input.credentials,
    input.config ?? {},
  );
  const { connector, session } = await buildSession({
    tenantId: caller.tenantId,
    integrationId,
    vendor: input.vendor,
    credentials: input.credentials,
    config: input.config ?? {},
    allowPrivateAddress: input.allowPrivateAddress ?? false,
    correlationId,
    allowedOrigins: destinationsOf(input.vendor, input.config ?? {}),
    budget: 'unsaved',
  });
  return toTestResult(await probeOnce(connector, session));
}

export async function createIntegration(
  deps: IntegrationDeps,
  caller: Principal,
  input: {
    vendor: VendorId;
    name: string;
    credentials: Record<string, string>;
    config?: Record<string, unknown> | undefined;
    isDefault?: boolean | undefined;
    allowPrivateAddress?: boolean | undefined;
  },
  options: CreateOptions,
): Promise<IntegrationView & { test?: TestResult }> {
  requireAdminForPrivateAddress(caller, input.allowPrivateAddress);
  const connector = connectorFor(input.vendor);
  const credentials = parseCredentials(connector, input.credentials);
  let config = parseConfig(connector, input.config ?? {}) as Record<string, unknown>;
  requireAdminForPrivateAddress(caller, undefined, { after: pinOf(input.vendor, config) });
  // Asked here, before anything is sent or saved: the vendor's API cannot tell the hub later.
  const missing = connector.requiredAtCreate?.(config);
  if (missing) throw new DomainError('expiry_date_required', missing.message, { field: missing.field });
  let test: TestResult | undefined;
  if (!options.skipTest) {
    ({ test, config } = await testBeforeSave(caller.tenantId, input.vendor, credentials, config, {
      allowPrivateAddress: input.allowPrivateAddress ?? false,
      correlationId: options.correlationId,
      allowedOrigins: destinationsOf(input.vendor, config),
    }));
  }
  const at = new Date(nowMs()).toISOString();
  const id = options.id ?? newestFirstId();
  const record: IntegrationRecord = {
    vendor: input.vendor,
    name: input.name,
    config: JSON.stringify(config),
    encryptedCredentials: await credentialCipher().encryptJson(credentials),
    credentialFields: Object.keys(input.credentials).sort(),
    allowPrivateAddress: input.allowPrivateAddress ?? false,
    createdAt: at,
    updatedAt: at,
    createdBy: caller.keyId,
    credentialsUpdatedAt: at,
    destinations: destinationsOf(input.vendor, config),
  };
  const stored = await deps.tables.integrations.insert(caller.tenantId, id, record);
  // Indexed before anything else can fail: an integration that exists is probed and re-encrypted
  // even when the process dies before its default pointer (which reads heal).
  await registerForProbes(deps.tables, caller.tenantId, id);
  crashPoint(CRASH_AFTER_INTEGRATION_ROW);
  if (input.isDefault) {
    await deps.tables.defaults.upsert(caller.tenantId, input.vendor, { integrationId: id });
  } else {
    // The first integration of a vendor becomes its default; later ones leave the pointer alone.
    await deps.tables.defaults.insert(caller.tenantId, input.vendor, { integrationId: id }).catch((error: unknown) => {
      if (!(error instanceof AlreadyExistsError)) throw error;
    });
  }
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'integration.created',
    actorKeyId: caller.keyId,
    targetType: 'integration',
    targetId: id,
    correlationId: options.correlationId,
    details: { vendor: input.vendor, credentialFields: record.credentialFields.join(' '), tested: !options.skipTest },
  });
  const defaultId = await resolveDefault(deps, caller.tenantId, input.vendor);
  return { ...toView(stored, defaultId, deps.publicBaseUrl), ...(test ? { test } : {}) };
}

export async function listIntegrations(
  deps: IntegrationDeps,
  caller: Principal,
  options: { limit: number; cursor?: string | undefined; vendor?: VendorId | undefined },
): Promise<{ items: IntegrationView[]; nextCursor: string | null }> {
  const page = await deps.tables.integrations.list(caller.tenantId, {
    limit: options.limit,
    cursor: options.cursor ?? null,
    ...(options.vendor ? { filter: `vendor eq '${options.vendor}'` } : {}),
  });
  // One partition read for every vendor's pointer; a pointer naming a row on this page is known to
  // exist, anything else is checked (and healed) by resolveDefault.
  const pointers = new Map<string, string>();
  for await (const row of deps.tables.defaults.iterate(caller.tenantId))
    pointers.set(row.rowKey, row.value.integrationId);
  const onPage = new Set(page.items.map((i) => i.rowKey));
  const vendors = [...new Set(page.items.map((i) => i.value.vendor))];
  const defaults = new Map(
    await Promise.all(
      vendors.map(async (vendor) => {
        const pointed = pointers.get(vendor);
        const id =
          pointed !== undefined && onPage.has(pointed) ? pointed : await resolveDefault(deps, caller.tenantId, vendor);
        return [vendor, id] as const;
      }),
    ),
  );
  return {
    items: page.items.map((i) => toView(i, defaults.get(i.value.vendor), deps.publicBaseUrl)),
    nextCursor: page.nextCursor,
  };
}

async function load(deps: IntegrationDeps, tenantId: string, id: string): Promise<Stored<IntegrationRecord>> {
  const stored = await deps.tables.integrations.get(tenantId, id);
  if (!stored) throw new ResourceNotFoundError('integration', id);
  return stored;
}

export async function getIntegration(deps: IntegrationDeps, caller: Principal, id: string): Promise<IntegrationView> {
  const stored = await load(deps, caller.tenantId, id);
  return toView(stored, await resolveDefault(deps, caller.tenantId, stored.value.vendor), deps.publicBaseUrl);
}

/**
 * The destinations a stored row's credentials were saved for; rows written before the binding
 * existed use their config's (the best that is known about them).
 */
function boundDestinations(record: IntegrationRecord): string[] {
  if (record.destinations !== undefined) return record.destinations;
  return destinationsOf(record.vendor, parseStoredConfig(record.config));
}

export async function updateIntegration(
  deps: IntegrationDeps,
  caller: Principal,
  id: string,
  input: {
    name?: string | undefined;
    credentials?: Record<string, string> | undefined;
    config?: Record<string, unknown> | undefined;
    isDefault?: true | undefined;
    allowPrivateAddress?: boolean | undefined;
  },
  options: CreateOptions,
): Promise<IntegrationView & { test?: TestResult }> {
  requireAdminForPrivateAddress(caller, input.allowPrivateAddress);
  const current = await load(deps, caller.tenantId, id);
  const vendor = current.value.vendor;
  const connector = connectorFor(vendor);
  let config = (
    input.config !== undefined ? parseConfig(connector, input.config) : parseStoredConfig(current.value.config)
  ) as Record<string, unknown>;
  const credentialsChanged = input.credentials !== undefined;

  // Where the stored credentials were saved for, and where this change would send requests. A new
  // destination is accepted only with fresh credentials, which alone are tested there; the stored
  // ones never leave for it — not even for the test (docs/integrations.md). Every attempt is audited.
  const bound = boundDestinations(current.value);
  const wanted = destinationsOf(vendor, config);
  const added = uncoveredDestinations(wanted, bound);
  const auditDestination = (action: string, extra: Record<string, string | boolean>) =>
    recordAudit(deps.audit, caller.tenantId, {
      action,
      actorKeyId: caller.keyId,
      targetType: 'integration',
      targetId: id,
      correlationId: options.correlationId,
      details: {
        vendor,
        fromHosts: hostsOf(bound),
        toHosts: hostsOf(wanted),
        fromDestinations: bound.join(' '),
        toDestinations: wanted.join(' '),
        ...extra,
      },
    });
  try {
    requireAdminForPrivateAddress(caller, undefined, {
      before: pinOf(vendor, parseStoredConfig(current.value.config)),
      after: pinOf(vendor, config),
    });
    // The private-address opt-in allows the hosts the config names: pointing an opted-in
    // integration at other hosts is the same decision again, so it needs the admin scope too.
    const keepsOptIn = input.allowPrivateAddress ?? current.value.allowPrivateAddress;
    const hostsBefore = configuredHosts(parseStoredConfig(current.value.config)).sort().join(' ');
    if (keepsOptIn && configuredHosts(config).sort().join(' ') !== hostsBefore) {
      requireAdminForPrivateAddress(caller, true);
    }
  } catch (error) {
    if (added.length > 0) await auditDestination('integration.destination_change_refused', { reason: 'scope' });
    throw error;
  }
  if (added.length > 0 && !credentialsChanged) {
    await auditDestination('integration.destination_change_refused', { reason: 'credentials_missing' });
    throw new DestinationChangeNeedsCredentialsError(vendor, added);
  }
  const cipher = credentialCipher();
  const credentials = credentialsChanged
    ? parseCredentials(connector, input.credentials)
    : await cipher.decryptJson(current.value.encryptedCredentials);
  const allowPrivateAddress = input.allowPrivateAddress ?? current.value.allowPrivateAddress;
  let test: TestResult | undefined;
  const connectionChanged = credentialsChanged || input.config !== undefined || input.allowPrivateAddress !== undefined;
  if (connectionChanged && !options.skipTest) {
    try {
      ({ test, config } = await testBeforeSave(caller.tenantId, vendor, credentials, config, {
        allowPrivateAddress,
        correlationId: options.correlationId,
        // Fresh credentials may go where their config points; stored ones only where they were saved for.
        allowedOrigins: credentialsChanged ? wanted : bound,
      }));
    } catch (error) {
      if (added.length > 0) await auditDestination('integration.destination_change_refused', { reason: 'test_failed' });
      throw error;
    }
  }
  const at = new Date(nowMs()).toISOString();
  const encryptedCredentials = credentialsChanged
    ? await cipher.encryptJson(credentials)
    : current.value.encryptedCredentials;
  const next: IntegrationRecord = {
    ...current.value,
    name: input.name ?? current.value.name,
    config: JSON.stringify(config),
    encryptedCredentials,
    credentialFields: input.credentials ? Object.keys(input.credentials).sort() : current.value.credentialFields,
    allowPrivateAddress,
    updatedAt: at,
    credentialsUpdatedAt: credentialsChanged ? at : current.value.credentialsUpdatedAt,
    destinations: destinationsOf(vendor, config),
    // A grant belongs to the client id it was issued to: new credentials need a new authorisation.
    ...(credentialsChanged ? { encryptedGrant: undefined, grantScope: undefined, grantedAt: undefined } : {}),
  };
  // ETag-conditional: a concurrent update loses with 409 instead of silently overwriting.
  const stored = await deps.tables.integrations.replace(caller.tenantId, id, next, current.etag);
  if (added.length > 0) await auditDestination('integration.destination_changed', { tested: !options.skipTest });
  if (input.isDefault) {
    await deps.tables.defaults.upsert(caller.tenantId, vendor, { integrationId: id });
    await recordAudit(deps.audit, caller.tenantId, {
      action: 'integration.default_changed',
      actorKeyId: caller.keyId,
      targetType: 'integration',
      targetId: id,
      correlationId: options.correlationId,
      details: { vendor },
    });
  }
  if (connectionChanged) {
    await recordAudit(deps.audit, caller.tenantId, {
      action: credentialsChanged ? 'integration.credentials_changed' : 'integration.config_changed',
      actorKeyId: caller.keyId,
      targetType: 'integration',
      targetId: id,
      correlationId: options.correlationId,
      details: {
        vendor,
        credentialFields: next.credentialFields.join(' '),
        allowPrivateAddress,
        tested: !options.skipTest,
      },
    });
  }
  const defaultId = await resolveDefault(deps, caller.tenantId, vendor);
  return { ...toView(stored, defaultId, deps.publicBaseUrl), ...(test ? { test } : {}) };
}

/** The host names in a list of destinations, for the audit log (`*.autotask.net` kept as written). */
function hostsOf(destinations: readonly string[]): string {
  return [...new Set(destinations.map((d) => d.replace(/^[a-z]+:\/\//, '').replace(/:\d+$/, '')))].join(' ');
}

/**
 * Deleting removes the row — and with it the encrypted credentials — at once. The probe index
 * entry goes next (a crash in between leaves an entry the probe run drops when it finds no row),
 * then the default moves to the oldest remaining integration of the vendor.
 */
export async function deleteIntegration(
  deps: IntegrationDeps,
  caller: Principal,
  id: string,
  correlationId: string,
): Promise<void> {
  const current = await load(deps, caller.tenantId, id);
  await deps.tables.integrations.delete(caller.tenantId, id);
  forgetIntegrationLiveness(caller.tenantId, id);
  await unregisterFromProbes(deps.tables, caller.tenantId, id);
  await resolveDefault(deps, caller.tenantId, current.value.vendor);
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'integration.deleted',
    actorKeyId: caller.keyId,
    targetType: 'integration',
    targetId: id,
    correlationId,
    details: { vendor: current.value.vendor },
  });
}

/** A stored integration's connection, for the health probes and the pipeline's tool calls. */
export async function openIntegrationSession(
  deps: IntegrationDeps,
  tenantId: string,
  integrationId: string,
  correlationId: string,
  options: { timeoutMs?: number } = {},
): Promise<Awaited<ReturnType<typeof buildSession>> & { record: IntegrationRecord }> {
  const stored = await load(deps, tenantId, integrationId);
  const credentials = await credentialCipher().decryptJson(stored.value.encryptedCredentials);
  const built = await buildSession({
    tenantId,
    integrationId,
    vendor: stored.value.vendor,
    credentials,
    config: parseStoredConfig(stored.value.config),
    allowPrivateAddress: stored.value.allowPrivateAddress,
    correlationId,
    // The port refuses every other origin, whatever the stored config or a vendor's answer says.
    allowedOrigins: boundDestinations(stored.value),
    budget: 'integration',
    ...(usesAuthorisationCode(stored.value) ? { grant: grantStoreFor(deps, tenantId, integrationId) } : {}),
    ...options,
  });
  return { ...built, record: stored.value };
}
