import { z } from 'zod';
import { apiInstant } from '../validation/instant';
import { SYNC_ENTITIES } from './adapter';
import { SYNC_STATUSES } from './tables';

/** HTTP shapes of the sync routes (docs/sync.md, docs/api.md "Sync"). */

export const syncFiltersSchema = z
  .strictObject({
    from: apiInstant.optional().meta({ description: 'Only records whose date (`dateField`) is at or after this.' }),
    to: apiInstant.optional().meta({ description: 'Only records whose date (`dateField`) is at or before this.' }),
    dateField: z
      .enum(['opened', 'closed'])
      .optional()
      .meta({ description: 'Tickets: which date `from`/`to` filter on (default `opened`).' }),
    ticketStatus: z
      .enum(['all', 'open', 'closed'])
      .default('all')
      .meta({ description: '`all` syncs open tickets first, then closed ones.' }),
    clientId: z.number().int().positive().optional().meta({ description: "The vendor's client (company) id." }),
    includeInactive: z.boolean().default(false).meta({ description: 'Include inactive clients and assets.' }),
    assetTypeIds: z.array(z.number().int().positive()).min(1).max(50).optional(),
    siteId: z.number().int().positive().optional().meta({ description: "The vendor's site (location) id." }),
  })
  .meta({ id: 'SyncFilters' });

export const startSyncBody = z
  .strictObject({
    entities: z.array(z.enum(SYNC_ENTITIES)).min(1).max(SYNC_ENTITIES.length),
    mode: z.enum(['full', 'incremental']).default('full'),
    batchSize: z.number().int().min(1).max(500).default(100),
    filters: syncFiltersSchema.default({ ticketStatus: 'all', includeInactive: false }),
    schedule: z
      .boolean()
      .default(true)
      .meta({ description: 'After this run succeeds, the timer runs incremental syncs of these entities.' }),
    debug: z.boolean().default(false).meta({ description: 'Log every page of this run (requests, counts).' }),
  })
  .meta({ id: 'StartSync' });
export type StartSyncBody = z.infer<typeof startSyncBody>;

const countsSchema = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
});

export const syncErrorSchema = z.object({
  code: z.string().meta({ description: 'A code of the error catalog (`GET /api/v1/error-catalog`).' }),
  message: z.string(),
  entity: z.string(),
  at: z.string(),
});
export type SyncErrorView = z.infer<typeof syncErrorSchema>;

export const syncWarningSchema = z.object({
  entity: z.string(),
  kind: z.enum(['missing_required', 'null_value', 'encoding', 'missing_id', 'truncated']),
  field: z.string(),
  count: z.number().int(),
  examples: z.array(z.string()).meta({ description: 'A few vendor ids of affected records.' }),
});
export type SyncWarningView = z.infer<typeof syncWarningSchema>;

export const syncRunSchema = z
  .object({
    id: z.string(),
    integrationId: z.string(),
    vendor: z.string(),
    status: z.enum(SYNC_STATUSES),
    entities: z.array(z.string()),
    mode: z.enum(['full', 'incremental']),
    batchSize: z.number().int(),
    filters: z.record(z.string(), z.unknown()),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    stopRequested: z.boolean(),
    current: z
      .object({ entity: z.string(), variant: z.string().nullable() })
      .nullable()
      .meta({ description: 'The step the next page belongs to (null once finished).' }),
    pagesCommitted: z.number().int(),
    counts: countsSchema,
    errors: z.array(syncErrorSchema),
    warnings: z.array(syncWarningSchema),
    since: z
      .record(z.string(), z.string())
      .meta({ description: 'Incremental: the watermark each entity started from.' }),
  })
  .meta({ id: 'SyncRun' });
export type SyncRunView = z.infer<typeof syncRunSchema>;

export const syncRunListSchema = z
  .object({ items: z.array(syncRunSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'SyncRunList' });

export const syncRunListQuery = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(4096).optional(),
    integrationId: z.string().min(1).max(64).optional(),
    status: z.enum(SYNC_STATUSES).optional(),
  })
  .meta({ id: 'SyncRunQuery' });

export const syncRunIdParams = z.strictObject({ id: z.string().regex(/^[0-9A-Z]{26}$/, 'a sync run id') });

/** The largest record list page: one Table Storage query page. */
export const MAX_RECORD_LIST_LIMIT = 1000;

const vendorIdText = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'a vendor id');

export const recordListQuery = z
  .strictObject({
    integrationId: z.string().min(1).max(64).meta({ description: 'The integration the records were synced from.' }),
    // Up to 1,000, Table Storage's own page: a walk of 100,000 synced records is ~100 requests, not 500.
    limit: z.coerce.number().int().min(1).max(MAX_RECORD_LIST_LIMIT).default(50),
    cursor: z.string().min(1).max(4096).optional(),
    clientId: vendorIdText.optional(),
    siteId: vendorIdText.optional(),
    statusId: vendorIdText.optional(),
    typeId: vendorIdText.optional().meta({ description: 'Assets: the asset type id.' }),
    inactive: z.enum(['true', 'false']).optional(),
  })
  .meta({ id: 'SyncedRecordQuery' });
export type RecordListQuery = z.infer<typeof recordListQuery>;

export const recordParams = z.strictObject({ id: vendorIdText });
export const recordGetQuery = z.strictObject({ integrationId: z.string().min(1).max(64) });

export const syncedRecordSchema = z
  .object({
    id: z.string().meta({ description: "The vendor's id." }),
    integrationId: z.string(),
    entity: z.string(),
    vendorUpdatedAt: z.string().nullable(),
    syncedAt: z.string(),
    fields: z.record(z.string(), z.unknown()).meta({ description: 'The record as the vendor sent it.' }),
  })
  .meta({ id: 'SyncedRecord' });
export type SyncedRecordView = z.infer<typeof syncedRecordSchema>;

/** One ticket by id: the record and the team routing gave it (docs/sync.md, "Routing synced tickets"). */
export const syncedTicketSchema = syncedRecordSchema
  .extend({
    routing: z
      .object({
        teamId: z.string(),
        by: z.enum(['client_link', 'rule', 'default', 'manual']),
        ruleId: z.string().nullable(),
        decidedAt: z.string(),
      })
      .nullable()
      .meta({
        description:
          "The ticket's team and what decided it (`manual` after a reassignment); null while it has no decision (routing not set up, or a routing error).",
      }),
  })
  .meta({ id: 'SyncedTicket' });
export type SyncedTicketView = z.infer<typeof syncedTicketSchema>;

export const syncedRecordListSchema = z
  .object({
    items: z.array(syncedRecordSchema),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'SyncedRecordList' });
