import type { TokenCredential } from '@azure/identity';
import { nowMs } from '../clock';
import { SecretClient } from '../sdk/keyvault-secrets';

/**
 * Where the hub's own secrets come from (the credential encryption key and others — docs/design.md §3.1):
 * Key Vault with managed identity in Azure, the environment locally. Values are cached for a few
 * minutes so a hot path never waits on Key Vault, with one fetch in flight per name, and a failed
 * fetch is not cached. Secret values never reach logs or errors: failures name the secret only.
 */
export interface SecretSource {
  /** The secret's current value; throws SecretUnavailableError when it cannot be read. */
  get(name: string): Promise<string>;
}

export class SecretUnavailableError extends Error {
  readonly code = 'secret_unavailable';
  constructor(
    readonly secretName: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`Secret "${secretName}" is unavailable: ${reason}`, options);
    this.name = 'SecretUnavailableError';
  }
}

/** Reads secrets from Key Vault (names as in the vault: letters, digits and dashes). */
export class KeyVaultSecretSource implements SecretSource {
  private readonly client: SecretClient;
  constructor(vaultUrl: string, credential: TokenCredential) {
    this.client = new SecretClient(vaultUrl, credential);
  }
  async get(name: string): Promise<string> {
    try {
      const secret = await this.client.getSecret(name);
      if (secret.value === undefined) throw new SecretUnavailableError(name, 'it has no value');
      return secret.value;
    } catch (error) {
      if (error instanceof SecretUnavailableError) throw error;
      const status = (error as { statusCode?: number }).statusCode;
      throw new SecretUnavailableError(
        name,
        status ? `Key Vault answered ${status}` : 'Key Vault could not be reached',
        {
          cause: error,
        },
      );
    }
  }
}

/** Local development: the secret `credential-key` is read from CREDENTIAL_KEY (upper snake case). */
export class EnvironmentSecretSource implements SecretSource {
  constructor(private readonly env: Record<string, string | undefined> = process.env) {}
  async get(name: string): Promise<string> {
    const variable = name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
    const value = this.env[variable];
    if (!value) throw new SecretUnavailableError(name, `set ${variable} in local.settings.json`);
    return value;
  }
}

/** Caches another source's values for `ttlMs`, with single-flight fetches per name. */
export class CachedSecretSource implements SecretSource {
  private readonly cache = new Map<string, { value: string; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<string>>();
  constructor(
    private readonly inner: SecretSource,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  async get(name: string): Promise<string> {
    const cached = this.cache.get(name);
    if (cached && cached.expiresAt > nowMs()) return cached.value;
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = this.inner
        .get(name)
        .then((value) => {
          this.cache.set(name, { value, expiresAt: nowMs() + this.ttlMs });
          return value;
        })
        .finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    return pending;
  }

  /** Forget cached values (after a rotation, so the next read sees the new version). */
  invalidate(name?: string): void {
    if (name) this.cache.delete(name);
    else this.cache.clear();
  }
}
