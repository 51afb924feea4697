import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `sops`: PartitionKey = tenant id, RowKey = SOP id (newest first). Match rules and steps are one
 * JSON column: a SOP is read and written whole, and matching reads a tenant's one partition.
 */
export const sopRecordSchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  /** `{match, steps}` as JSON (validated by api-schemas on the way in and out). */
  definition: z.string(),
  version: z.number().int().min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
});
export type SopRecord = z.infer<typeof sopRecordSchema>;

export interface SopTables {
  sops: TableRepository<SopRecord>;
}

export function sopTables(account: StorageAccount): SopTables {
  return { sops: new TableRepository(account, 'sops', sopRecordSchema) };
}
