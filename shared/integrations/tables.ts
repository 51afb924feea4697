import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';
import { VENDOR_IDS } from '../vendors/contract';

/**
 * `integrations`: PartitionKey = tenant id, RowKey = integration id (newest first).
 * `encryptedCredentials` is a Fernet token of the credentials JSON (shared/crypto); nothing else
 * in the row is secret. `credentialFields` lists which fields were given, never their values.
 */
export const integrationRecordSchema = z.object({
  vendor: z.enum(VENDOR_IDS),
  name: z.string(),
  /** Vendor config as JSON text (base URL, region, zone, mode …). */
  config: z.string(),
  encryptedCredentials: z.string(),
  credentialFields: z.array(z.string()),
  /** Admin opt-in: the vendor's own host may be a private address (UniFi local console). */
  allowPrivateAddress: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
  credentialsUpdatedAt: z.string(),
  /**
   * The origins the stored credentials were saved for (connector.destinations of the saved config,
   * shared/vendors/core/destinations.ts); sessions send them nowhere else. Absent on rows saved
   * before the binding existed: their config's destinations stand in.
   */
  destinations: z.array(z.string()).optional(),
  /**
   * An authorisation-code grant (Halo PSA), a Fernet token of StoredGrant JSON: refresh token,
   * access token and its expiry, granted scopes. Replaced ETag-conditionally on every refresh
   * (integrations/oauth-grant.ts); dropped when the credentials change.
   */
  encryptedGrant: z.string().optional(),
  /** The granted scopes and when the admin authorised: not secret, shown on the integration. */
  grantScope: z.string().optional(),
  grantedAt: z.string().optional(),
});
export type IntegrationRecord = z.infer<typeof integrationRecordSchema>;

/**
 * `integrationdefaults`: PartitionKey = tenant id, RowKey = vendor id, one row naming the default
 * integration of that vendor. A single row per (tenant, vendor) makes "exactly one default"
 * true by construction, and changing the default one conditional write — atomic.
 */
export const defaultPointerSchema = z.object({ integrationId: z.string() });
export type DefaultPointer = z.infer<typeof defaultPointerSchema>;

/**
 * `integrationindex`: PartitionKey = `shard-N`, RowKey = `tenant|integration`. Every integration of
 * every tenant, spread over a few partitions, so the 5-minute probe fan-out reads exactly the
 * integrations (a few partition reads) instead of scanning the integrations table.
 */
export const indexEntrySchema = z.object({ tenantId: z.string(), integrationId: z.string() });
export type IndexEntry = z.infer<typeof indexEntrySchema>;

export interface IntegrationTables {
  integrations: TableRepository<IntegrationRecord>;
  defaults: TableRepository<DefaultPointer>;
  index: TableRepository<IndexEntry>;
}

export function integrationTables(account: StorageAccount): IntegrationTables {
  return {
    integrations: new TableRepository(account, 'integrations', integrationRecordSchema),
    defaults: new TableRepository(account, 'integrationdefaults', defaultPointerSchema),
    index: new TableRepository(account, 'integrationindex', indexEntrySchema),
  };
}
