import { z } from 'zod';
import { nowMs } from '../clock';
import type { StorageAccount } from '../storage/connection';
import { newestFirstId } from '../storage/keys';
import { TableRepository } from '../storage/table-repository';

/**
 * Who did what (docs/design.md §12): key creation and revocation, credential changes, approvals, forced
 * replays. PartitionKey = tenant id, RowKey newest first. Entries never hold secrets. The platform
 * operator's actions (tenant onboarding, disable/enable) are written to the partition `_operator`
 * (no tenant id can take that value) and to the affected tenant's own partition.
 */
export const auditEntrySchema = z.object({
  action: z.string(),
  actorKeyId: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  at: z.string(),
  correlationId: z.string().optional(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export function auditTable(account: StorageAccount): TableRepository<AuditEntry> {
  return new TableRepository(account, 'audit', auditEntrySchema);
}

export async function recordAudit(
  table: TableRepository<AuditEntry>,
  tenantId: string,
  entry: Omit<AuditEntry, 'at'>,
): Promise<void> {
  const at = nowMs();
  await table.insert(tenantId, newestFirstId(at), { ...entry, at: new Date(at).toISOString() });
}
