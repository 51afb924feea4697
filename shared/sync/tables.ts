import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * The sync engine's tables (docs/sync.md, "Storage"):
 *
 * - `syncruns`: PartitionKey = tenant id, RowKey = run id (newest first). One row per run; the
 *   cursor lives here and only moves under the row's ETag, so a re-delivered page message can
 *   never advance it twice.
 * - `syncrecords`: PartitionKey = tenant|integration|entity, RowKey = the vendor id (zero-padded
 *   when numeric so pages read back as key ranges). Dedup by construction: a vendor record is one row.
 * - `syncstate`: PartitionKey = tenant id, RowKey = integration|entity. The lease (`runId` of the
 *   run that holds it) and the incremental watermark.
 */

export const SYNC_STATUSES = ['running', 'succeeded', 'failed', 'stopped'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

export const syncRunRowSchema = z.object({
  integrationId: z.string(),
  vendor: z.string(),
  /** JSON: the requested entities, in the order they run. */
  entities: z.string(),
  mode: z.enum(['full', 'incremental']),
  batchSize: z.number().int(),
  /** JSON: the validated filters of the request. */
  filters: z.string(),
  /** JSON: the steps the run walks (entity + variant), fixed at start. */
  steps: z.string(),
  status: z.enum(SYNC_STATUSES),
  stopRequested: z.boolean(),
  debug: z.boolean(),
  /** Index into `steps` of the step the next page belongs to. */
  stepIndex: z.number().int(),
  /** The adapter's cursor inside the step; '' = the step's first page. */
  cursor: z.string(),
  pagesCommitted: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  /** JSON: at most 20 errors `{code, message, entity, at}`. */
  errors: z.string(),
  /** JSON: data-quality warnings grouped by entity, kind and field, with a count and a few vendor ids. */
  warnings: z.string(),
  /** JSON: per entity, the newest vendor last-updated seen in this run (becomes the watermark). */
  newestSeen: z.string(),
  /** JSON: per entity, the watermark an incremental run started from. */
  since: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  correlationId: z.string(),
});
export type SyncRunRow = z.infer<typeof syncRunRowSchema>;

export const syncRecordRowSchema = z.object({
  vendorId: z.string(),
  /** The vendor's own last-updated instant, as it sent it ('' when it sent none). */
  vendorUpdatedAt: z.string(),
  /** sha256 of the stored fields: an unchanged record is skipped, not rewritten. */
  hash: z.string(),
  /** JSON of the vendor's record (a bounded projection when the whole one is too large). */
  data: z.string(),
  /** The page (`run:page`) that last wrote the row and what that write was, so a replayed page counts the same. */
  writtenBy: z.string(),
  outcome: z.enum(['created', 'updated']),
  syncedAt: z.string(),
  // Flat copies of the fields the listing routes filter on (Table Storage filters properties, not JSON).
  name: z.string().optional(),
  clientId: z.string().optional(),
  siteId: z.string().optional(),
  statusId: z.string().optional(),
  typeId: z.string().optional(),
  inactive: z.boolean().optional(),
});
export type SyncRecordRow = z.infer<typeof syncRecordRowSchema>;

export const syncStateRowSchema = z.object({
  integrationId: z.string(),
  entity: z.string(),
  /** The run holding the lease; absent when none runs. */
  runId: z.string().optional(),
  /** The newest vendor last-updated of the last run that completed; incremental runs start there. */
  watermark: z.string().optional(),
  /** The timer runs incremental syncs of this integration and entity. */
  scheduled: z.boolean(),
  /**
   * A run of this entity has succeeded once. The timer needs it for vendors with no last-updated
   * field (Datto RMM, Pax8…), whose runs never leave a watermark.
   */
  completed: z.boolean().optional(),
});
export type SyncStateRow = z.infer<typeof syncStateRowSchema>;

export interface SyncTables {
  runs: TableRepository<SyncRunRow>;
  records: TableRepository<SyncRecordRow>;
  state: TableRepository<SyncStateRow>;
}

let cached: { account: StorageAccount; tables: SyncTables } | undefined;

export function syncTables(account: StorageAccount): SyncTables {
  if (cached?.account === account) return cached.tables;
  const tables: SyncTables = {
    runs: new TableRepository(account, 'syncruns', syncRunRowSchema),
    records: new TableRepository(account, 'syncrecords', syncRecordRowSchema),
    state: new TableRepository(account, 'syncstate', syncStateRowSchema),
  };
  cached = { account, tables };
  return tables;
}
