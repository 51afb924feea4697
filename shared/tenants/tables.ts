import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * `tenants`: one row per MSP, PartitionKey = TENANTS_PARTITION, RowKey = tenant id. A deployment
 * holds hundreds or a few thousand tenants and the table is read by id (cached) far more often
 * than it is listed, so one partition is enough; tenant ids are newest-first ids, so RowKey order
 * is the list order. Disabling flips `status`; nothing is ever deleted here.
 */
export const TENANTS_PARTITION = 'tenant';

export const TENANT_STATUSES = ['active', 'disabled'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const tenantRecordSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  status: z.enum(TENANT_STATUSES),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
  disabledAt: z.string().optional(),
  disabledBy: z.string().optional(),
  /** The operator's daily (UTC) cap on this tenant's inbound deliveries; absent: the deployment default. */
  dailyInboundQuota: z.number().int().positive().optional(),
  /** Days event and delivery payloads are kept, at most EVENT_RETENTION_DAYS; unset: that maximum (docs/storage.md). */
  payloadRetentionDays: z.number().int().positive().optional(),
});
export type TenantRecord = z.infer<typeof tenantRecordSchema>;

export function tenantsTable(account: StorageAccount): TableRepository<TenantRecord> {
  return new TableRepository(account, 'tenants', tenantRecordSchema);
}
