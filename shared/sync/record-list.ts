import type { Principal } from '../apikeys/principal';
import { ResourceNotFoundError } from '../errors/domain-error';
import { getDecision } from '../routing/decisions';
import { odata } from '../sdk/data-tables';
import { InvalidCursorError } from '../storage/errors';
import type { Stored } from '../storage/table-repository';
import type { SyncEntity } from './adapter';
import type { RecordListQuery, SyncedRecordView, SyncedTicketView } from './api-schemas';
import { RECORD_SHARDS, recordKey, recordPartition, recordShard } from './records';
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

/** `<shard>.<the shard's continuation>`: lists walk the shards in order. */
function readCursor(cursor: string | undefined): { shard: number; inner: string | null } {
  if (cursor === undefined) return { shard: 0, inner: null };
  const match = /^(\d{1,2})\.(.*)$/s.exec(cursor);
  const shard = Number(match?.[1]);
  if (!match || shard >= RECORD_SHARDS) throw new InvalidCursorError('the cursor is not one this list gave out');
  return { shard, inner: match[2] === '' ? null : (match[2] ?? null) };
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
  const filter = parts.length > 0 ? { filter: parts.join(' and ') } : {};
  let { shard, inner } = readCursor(query.cursor);
  const items: SyncedRecordView[] = [];
  while (shard < RECORD_SHARDS && items.length < query.limit) {
    const page = await deps.tables.records.list(recordPartition(caller.tenantId, query.integrationId, entity, shard), {
      limit: query.limit - items.length,
      cursor: inner,
      ...filter,
    });
    for (const row of page.items) items.push(toView(query.integrationId, entity, row));
    if (page.nextCursor) inner = page.nextCursor;
    else {
      shard++;
      inner = null;
    }
  }
  return { items, nextCursor: shard < RECORD_SHARDS ? `${shard}.${inner ?? ''}` : null };
}

export async function getSyncedRecord(
  deps: SyncDeps,
  caller: Principal,
  entity: SyncEntity,
  integrationId: string,
  id: string,
): Promise<SyncedRecordView> {
  await assertIntegration(deps, caller, integrationId);
  return readRecord(deps, caller.tenantId, entity, integrationId, id);
}

async function readRecord(
  deps: SyncDeps,
  tenantId: string,
  entity: SyncEntity,
  integrationId: string,
  id: string,
): Promise<SyncedRecordView> {
  const row = await deps.tables.records.get(
    recordPartition(tenantId, integrationId, entity, recordShard(id)),
    recordKey(id),
  );
  if (!row) throw new ResourceNotFoundError(entity.replace(/s$/, ''), id);
  return toView(integrationId, entity, row);
}

/** One ticket with its routing decision (null when routing has none for it). */
export async function getSyncedTicket(
  deps: SyncDeps,
  caller: Principal,
  integrationId: string,
  id: string,
): Promise<SyncedTicketView> {
  // Through the integrations' verb (404 for another tenant's id); its vendor names the decision.
  const integration = await deps.integration(caller, integrationId);
  const record = await readRecord(deps, caller.tenantId, 'tickets', integrationId, id);
  let routing: SyncedTicketView['routing'] = null;
  try {
    const decision = await getDecision(deps.routing, caller.tenantId, integration.vendor, id);
    routing = { teamId: decision.teamId, by: decision.by, ruleId: decision.ruleId, decidedAt: decision.decidedAt };
  } catch (error) {
    if (!(error instanceof ResourceNotFoundError)) throw error;
  }
  return { ...record, routing };
}
