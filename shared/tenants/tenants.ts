import type { ApiKeyView } from '../apikeys/api-keys';
import type { Principal } from '../apikeys/principal';
import { type AuditEntry, recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { ResourceNotFoundError } from '../errors/domain-error';
import { crashPoint } from '../faults/crash-points';
import { newestFirstId } from '../storage/keys';
import type { Stored, TableRepository } from '../storage/table-repository';
import type { TenantDirectory } from './directory';
import { TENANTS_PARTITION, type TenantRecord, type TenantStatus } from './tables';

/**
 * The operator plane: onboarding MSPs (tenants) and switching them off and on. Only the operator
 * principal reaches these verbs (scope `operator`, enforced by the route), and they never read a
 * tenant's data: a tenant row holds a name, a status and dates, nothing else.
 */
export interface TenantView {
  id: string;
  name: string;
  description: string | null;
  status: TenantStatus;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  disabledAt: string | null;
}

export interface TenantDeps {
  table: TableRepository<TenantRecord>;
  directory: TenantDirectory;
  /**
   * Mints the tenant's first admin key through the API-key capability (which owns its tables);
   * wired by the composition (functions/tenants-api.ts) to `issueFirstAdminKey`.
   */
  issueFirstAdminKey: (tenantId: string, correlationId: string) => Promise<ApiKeyView & { key: string }>;
  audit: TableRepository<AuditEntry>;
}

/** Between the tenant row and its first admin key. */
export const CRASH_AFTER_TENANT_RECORD = 'tenants.create.after-record';

export function toTenantView(stored: Stored<TenantRecord>): TenantView {
  const v = stored.value;
  return {
    id: stored.rowKey,
    name: v.name,
    description: v.description ?? null,
    status: v.status,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    createdBy: v.createdBy,
    disabledAt: v.disabledAt ?? null,
  };
}

/** Writes one operator action to the operator's audit partition and to the tenant's own. */
async function auditTenantAction(
  deps: TenantDeps,
  operator: Principal,
  tenantId: string,
  action: string,
  correlationId: string,
): Promise<void> {
  const entry = { action, actorKeyId: operator.keyId, targetType: 'tenant', targetId: tenantId, correlationId };
  await recordAudit(deps.audit, operator.tenantId, entry);
  await recordAudit(deps.audit, tenantId, entry);
}

/**
 * Creates a tenant and its first admin key (the only time the key is shown). The tenant row is
 * written first: a crash before the key leaves a tenant nobody can use yet, visible to the
 * operator, never a working key in a tenant the operator cannot see or disable.
 */
export async function createTenant(
  deps: TenantDeps,
  operator: Principal,
  input: { name: string; description?: string | undefined },
  correlationId: string,
  /** Fixed by an Idempotency-Key: a retry's insert then conflicts instead of onboarding twice. */
  id?: string,
): Promise<TenantView & { adminKey: ApiKeyView & { key: string } }> {
  const at = nowMs();
  const tenantId = id ?? newestFirstId(at).toLowerCase();
  const iso = new Date(at).toISOString();
  const record: TenantRecord = {
    name: input.name,
    ...(input.description ? { description: input.description } : {}),
    status: 'active',
    createdAt: iso,
    updatedAt: iso,
    createdBy: operator.keyId,
  };
  const stored = await deps.table.insert(TENANTS_PARTITION, tenantId, record);
  deps.directory.remember(tenantId, true);
  crashPoint(CRASH_AFTER_TENANT_RECORD);
  const adminKey = await deps.issueFirstAdminKey(tenantId, correlationId);
  await auditTenantAction(deps, operator, tenantId, 'tenant.created', correlationId);
  return { ...toTenantView(stored), adminKey };
}

export async function listTenants(
  deps: TenantDeps,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ items: TenantView[]; nextCursor: string | null }> {
  const page = await deps.table.list(TENANTS_PARTITION, { limit: options.limit, cursor: options.cursor ?? null });
  return { items: page.items.map(toTenantView), nextCursor: page.nextCursor };
}

export async function getTenant(deps: TenantDeps, id: string): Promise<TenantView> {
  const stored = await deps.table.get(TENANTS_PARTITION, id);
  if (!stored) throw new ResourceNotFoundError('tenant', id);
  return toTenantView(stored);
}

/**
 * Disables or re-enables a tenant. Disabled: its keys answer 401 `tenant_disabled`, its webhooks
 * and timers stop acting for it (they ask `tenantIsActive`); nothing is deleted, so enabling
 * restores everything as it was. Idempotent: repeating it changes nothing and audits nothing.
 */
export async function setTenantStatus(
  deps: TenantDeps,
  operator: Principal,
  id: string,
  status: TenantStatus,
  correlationId: string,
): Promise<TenantView> {
  let changed = false;
  const updated = await deps.table.update(TENANTS_PARTITION, id, (current) => {
    // Reset on every round: a lost race calls this again, and only the winning round counts.
    changed = false;
    if (!current || current.status === status) return undefined;
    changed = true;
    const at = new Date(nowMs()).toISOString();
    const { disabledAt: _at, disabledBy: _by, ...rest } = current;
    return status === 'disabled'
      ? { ...rest, status, updatedAt: at, disabledAt: at, disabledBy: operator.keyId }
      : { ...rest, status, updatedAt: at };
  });
  if (!updated) throw new ResourceNotFoundError('tenant', id);
  deps.directory.remember(id, updated.value.status === 'active');
  if (changed) {
    await auditTenantAction(
      deps,
      operator,
      id,
      status === 'disabled' ? 'tenant.disabled' : 'tenant.enabled',
      correlationId,
    );
  }
  return toTenantView(updated);
}
