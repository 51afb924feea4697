import type { Principal } from '../apikeys/principal';
import { ResourceNotFoundError } from '../errors/domain-error';
import { odata } from '../sdk/data-tables';
import type { Stored } from '../storage/table-repository';
import type { SyncEntity } from './adapter';
import type { RecordListQuery, SyncedRecordView } from './api-schemas';
import { recordKey, recordPartition } from './records';
import type { SyncDeps } from './runs';
import type { SyncRecordRow } from './tables';

/**
 * Reading synced records (`GET /api/v1/tickets`, `/assets`, `/clients` and `/{id}`): one partition
 * per integration and entity, paged by Table Storage continuation tokens, filters on the flat
 * copies each row carries (docs/sync.md, "Reading records").
 */

function toView(integrationId: string, entity: SyncEntity, row: Stored<SyncRecordRow>): SyncedRecordView {
  let fields: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.value.data);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      fields = parsed as Record<string, unknown>;
  } catch {
    fields = {};
  }
  return {
    id: row.value.vendorId,
    integrationId,
    entity,
    vendorUpdatedAt: row.value.vendorUpdatedAt === '' ? null : row.value.vendorUpdatedAt,
    syncedAt: row.value.syncedAt,
    fields,
  };
}

async function assertIntegration(deps: SyncDeps, caller: Principal, integrationId: string): Promise<void> {
  // Through the integrations' verb: 404 for an id that is not this tenant's.
  await deps.integration(caller, integrationId);
}

export async function listSyncedRecords(
  deps: SyncDeps,
  caller: Principal,
  entity: SyncEntity,
  query: RecordListQuery,
): Promise<{ items: SyncedRecordView[]; nextCursor: string | null }> {
  await assertIntegration(deps, caller, query.integrationId);
  const parts: string[] = [];
  if (query.clientId !== undefined) parts.push(odata`clientId eq ${query.clientId}`);
  if (query.siteId !== undefined) parts.push(odata`siteId eq ${query.siteId}`);
  if (query.statusId !== undefined) parts.push(odata`statusId eq ${query.statusId}`);
  if (query.typeId !== undefined) parts.push(odata`typeId eq ${query.typeId}`);
  if (query.inactive !== undefined) parts.push(odata`inactive eq ${query.inactive === 'true'}`);
  const page = await deps.tables.records.list(recordPartition(caller.tenantId, query.integrationId, entity), {
    limit: query.limit,
    cursor: query.cursor ?? null,
    ...(parts.length > 0 ? { filter: parts.join(' and ') } : {}),
  });
  return { items: page.items.map((row) => toView(query.integrationId, entity, row)), nextCursor: page.nextCursor };
}

export async function getSyncedRecord(
  deps: SyncDeps,
  caller: Principal,
  entity: SyncEntity,
  integrationId: string,
  id: string,
): Promise<SyncedRecordView> {
  await assertIntegration(deps, caller, integrationId);
  const row = await deps.tables.records.get(recordPartition(caller.tenantId, integrationId, entity), recordKey(id));
  if (!row) throw new ResourceNotFoundError(entity.replace(/s$/, ''), id);
  return toView(integrationId, entity, row);
}
