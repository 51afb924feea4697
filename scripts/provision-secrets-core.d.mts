// Types of scripts/provision-secrets-core.mjs for the TypeScript that tests it.
type RandomBytes = (size: number) => Buffer;

export declare const KEY_VAULT_API_VERSION: string;
export declare const SECRET_FORMATS: Record<string, (randomBytes: RandomBytes) => string>;
export declare function generateSecret(name: string, randomBytes?: RandomBytes): string;

export interface SecretPlan {
  keep: string[];
  recover: string[];
  create: string[];
}
export declare function planSecrets(state: { required: string[]; present: string[]; deleted: string[] }): SecretPlan;

export interface SecretClient {
  listSecretNames(): Promise<string[]>;
  listDeletedSecretNames(): Promise<string[]>;
  setSecret(name: string, value: string): Promise<void>;
  recoverSecret(name: string): Promise<void>;
}
export declare function ensureSecrets(options: {
  client: SecretClient;
  required: string[];
  generate?: (name: string) => string;
  log?: (line: string) => void;
}): Promise<SecretPlan>;

export declare class KeyVaultError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(operation: string, status: number, code: string | undefined);
}
export declare function keyVaultRestClient(options: {
  vaultUri: string;
  getToken: () => Promise<string>;
  fetch?: typeof globalThis.fetch;
}): SecretClient;
