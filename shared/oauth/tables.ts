import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `oauthstates`: one row per authorisation in progress. PartitionKey = the first two hex digits
 * of the state's SHA-256, RowKey = the whole hash (pkce.ts `stateKey`): the state itself is never
 * stored. The row binds the state to the tenant, the integration and the API key that started it;
 * the PKCE verifier is Fernet-encrypted like credentials. Deleted (ETag-conditionally) when used.
 */
export const oauthStateSchema = z.object({
  tenantId: z.string(),
  integrationId: z.string(),
  keyId: z.string(),
  encryptedVerifier: z.string(),
  redirectUri: z.string(),
  /** The integration's credentialsUpdatedAt when it started: a code for other credentials is refused. */
  credentialsUpdatedAt: z.string(),
  expiresAt: z.string(),
});
export type OAuthState = z.infer<typeof oauthStateSchema>;

export interface OAuthTables {
  states: TableRepository<OAuthState>;
}

export function oauthTables(account: StorageAccount): OAuthTables {
  return { states: new TableRepository(account, 'oauthstates', oauthStateSchema) };
}
