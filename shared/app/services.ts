import type { BootstrapKey } from '../apikeys/authenticate';
import { type ApiKeyTables, apiKeyTables } from '../apikeys/records';
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
import type { TableRepository } from '../storage/table-repository';

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
}

let built: Services | undefined;

export function services(): Services {
  if (!built) {
    const s = settings();
    const account = storageAccountFromSettings(s);
    built = {
      settings: s,
      account,
      apiKeys: apiKeyTables(account),
      audit: auditTable(account),
      rateLimiter: new RateLimiter(account, s.API_RATE_LIMIT_PER_MINUTE),
      bootstrap: s.BOOTSTRAP_API_KEY ? { key: s.BOOTSTRAP_API_KEY, tenantId: s.BOOTSTRAP_TENANT_ID } : undefined,
      secrets: new CachedSecretSource(
        s.KEY_VAULT_URI ? new KeyVaultSecretSource(s.KEY_VAULT_URI, azureCredential(s)) : new EnvironmentSecretSource(),
      ),
    };
  }
  return built;
}

/** Tests that build their own services replace the process ones. */
export function setServices(next: Services | undefined): void {
  built = next;
}
