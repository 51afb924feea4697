import { FailedAuthThrottle } from '../api/failed-auth-throttle';
import type { BootstrapKey } from '../apikeys/authenticate';
import { type ApiKeyTables, apiKeyTables } from '../apikeys/tables';
import { type AuditEntry, auditTable } from '../audit/audit-log';
import { type Settings, settings } from '../config/settings';
import { RateLimiter } from '../http/rate-limit';
import {
  CachedSecretSource,
  EnvironmentSecretSource,
  KeyVaultSecretSource,
  type SecretSource,
} from '../secrets/secret-source';
import { azureCredential, type StorageAccount, storageAccountFromSettings } from '../storage/connection';
import { setCursorKey } from '../storage/cursor';
import type { TableRepository } from '../storage/table-repository';
import { TenantDirectory } from '../tenants/directory';
import { OperatorKeySource } from '../tenants/operator-key';
import { type TenantRecord, tenantsTable } from '../tenants/tables';

/**
 * The composition root: everything a trigger needs, built once per process from the settings on
 * first use (so a bad setting fails the first invocation loudly, and module load stays cheap).
 */
export interface Services {
  settings: Settings;
  account: StorageAccount;
  apiKeys: ApiKeyTables;
  audit: TableRepository<AuditEntry>;
  rateLimiter: RateLimiter;
  bootstrap: BootstrapKey | undefined;
  /** Key Vault when KEY_VAULT_URI is set (Azure), the environment otherwise (local). Cached. */
  secrets: SecretSource;
  tenantTable: TableRepository<TenantRecord>;
  /** Whether a tenant is active, cached briefly (shared/tenants). */
  tenants: TenantDirectory;
  /** The platform operator's key (Key Vault secret operator-api-key / OPERATOR_API_KEY). */
  operatorKey: OperatorKeySource;
  /** Per-process throttle of failed authentication (shared/api/failed-auth-throttle). */
  failedAuth: FailedAuthThrottle;
}

let built: Services | undefined;

export function services(): Services {
  if (!built) {
    const s = settings();
    built = buildServices(s, storageAccountFromSettings(s));
  }
  return built;
}

/**
 * The services of one storage account. services() passes the settings' account; unit tests pass
 * the in-memory one (shared/storage/memory-account.ts) and install the result with setServices.
 */
export function buildServices(s: Settings, account: StorageAccount): Services {
  const secrets = new CachedSecretSource(
    s.KEY_VAULT_URI ? new KeyVaultSecretSource(s.KEY_VAULT_URI, azureCredential(s)) : new EnvironmentSecretSource(),
  );
  const tenantTable = tenantsTable(account);
  // List cursors must verify on every instance and after restarts: one configured secret.
  if (s.CURSOR_SIGNING_KEY) setCursorKey(s.CURSOR_SIGNING_KEY);
  return {
    settings: s,
    account,
    apiKeys: apiKeyTables(account),
    audit: auditTable(account),
    rateLimiter: new RateLimiter(account, s.API_RATE_LIMIT_PER_MINUTE),
    bootstrap: s.BOOTSTRAP_API_KEY ? { key: s.BOOTSTRAP_API_KEY, tenantId: s.BOOTSTRAP_TENANT_ID } : undefined,
    secrets,
    tenantTable,
    tenants: new TenantDirectory(tenantTable),
    operatorKey: new OperatorKeySource(secrets, s.HUB_ENVIRONMENT === 'production'),
    failedAuth: new FailedAuthThrottle(),
  };
}

/** Tests that build their own services replace the process ones. */
export function setServices(next: Services | undefined): void {
  built = next;
}

/**
 * A capability's deps, built from the Services instance on first use and again whenever that
 * instance changes: setServices() (tests) thereby resets every capability built this way, where a
 * module-level `let built` would keep the old account's repositories.
 */
export function depsFromServices<T>(build: (svc: Services) => T): () => T {
  let cached: { from: Services; deps: T } | undefined;
  return () => {
    const svc = services();
    if (cached?.from !== svc) cached = { from: svc, deps: build(svc) };
    return cached.deps;
  };
}
