import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';
import { scopeSchema } from './scopes';

/** `apikeys`: PartitionKey = tenant id, RowKey = key id. Holds the hash, never the key. */
export const apiKeyRecordSchema = z.object({
  name: z.string(),
  scopes: z.array(scopeSchema),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  hint: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().optional(),
  revokedAt: z.string().optional(),
  revokedBy: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

/** `apikeyids`: PartitionKey = key id, RowKey = "key". Lets authentication find the tenant by key id alone. */
export const apiKeyLookupSchema = z.object({ tenantId: z.string() });
export type ApiKeyLookup = z.infer<typeof apiKeyLookupSchema>;
export const LOOKUP_ROW = 'key';

export interface ApiKeyTables {
  keys: TableRepository<ApiKeyRecord>;
  lookup: TableRepository<ApiKeyLookup>;
}

export function apiKeyTables(account: StorageAccount): ApiKeyTables {
  return {
    keys: new TableRepository(account, 'apikeys', apiKeyRecordSchema),
    lookup: new TableRepository(account, 'apikeyids', apiKeyLookupSchema),
  };
}
