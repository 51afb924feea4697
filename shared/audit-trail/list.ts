import type { AuditEntry } from '../audit/audit-log';
import { nowMs } from '../clock';
import { DomainError } from '../errors/domain-error';
import { odata } from '../sdk/data-tables';
import { newestFirstTimePrefix } from '../storage/keys';
import type { TableRepository } from '../storage/table-repository';

/**
 * Reading the audit log (written by shared/audit through every capability): one partition — the
 * tenant's, or `_operator` for the platform operator's own actions — newest first. The time range
 * is a RowKey range (audit row keys are newest-first ids), action and actor an OData condition
 * inside that one partition, so a read never scans the table.
 */

const MAX_RANGE_MS = 93 * 86_400_000;

export interface AuditFilter {
  action?: string | undefined;
  actor?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface AuditEntryView {
  id: string;
  at: string;
  action: string;
  actor: string;
  targetType: string;
  targetId: string;
  correlationId: string | null;
  details: Record<string, string | number | boolean>;
}

function conditions(filter: AuditFilter): string | undefined {
  const parts: string[] = [];
  if (filter.action) parts.push(odata`action eq ${filter.action}`);
  if (filter.actor) parts.push(odata`actorKeyId eq ${filter.actor}`);
  return parts.length > 0 ? parts.join(' and ') : undefined;
}

export async function listAudit(
  table: TableRepository<AuditEntry>,
  partition: string,
  filter: AuditFilter,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
  const toMs = filter.to ? Date.parse(filter.to) : undefined;
  const fromMs = filter.from ? Date.parse(filter.from) : undefined;
  if (toMs !== undefined && fromMs !== undefined && fromMs > toMs) {
    throw new DomainError('validation_failed', '`from` must not be later than `to`.', {
      errors: [{ path: 'query.from', message: 'later than to' }],
    });
  }
  // A time range is at most as long as every other list's; without `from` the whole log pages.
  if (fromMs !== undefined && (toMs ?? nowMs()) - fromMs > MAX_RANGE_MS) {
    throw new DomainError('validation_failed', 'A time range covers at most 93 days; narrow `from`/`to`.', {
      errors: [{ path: 'query.from', message: 'at most 93 days before to' }],
    });
  }
  // Newest first: `to` bounds the smallest row keys, `from` (its next millisecond down) the largest.
  const filterText = conditions(filter);
  const listed = await table.list(partition, {
    limit: page.limit,
    cursor: page.cursor ?? null,
    ...(toMs !== undefined ? { rowKeyFrom: newestFirstTimePrefix(Math.min(toMs, nowMs() + 86_400_000)) } : {}),
    ...(fromMs !== undefined && fromMs > 0 ? { rowKeyTo: newestFirstTimePrefix(fromMs - 1) } : {}),
    ...(filterText ? { filter: filterText } : {}),
  });
  return {
    items: listed.items.map((row) => ({
      id: row.rowKey,
      at: row.value.at,
      action: row.value.action,
      actor: row.value.actorKeyId,
      targetType: row.value.targetType,
      targetId: row.value.targetId,
      correlationId: row.value.correlationId ?? null,
      details: row.value.details ?? {},
    })),
    nextCursor: listed.nextCursor,
  };
}
