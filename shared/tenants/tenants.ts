import type { ApiKeyView } from '../apikeys/api-keys';
import type { Principal } from '../apikeys/principal';
import { type AuditEntry, recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
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
  dailyInboundQuota: number | null;
  /** Days event and delivery payloads are kept; null: the platform maximum (EVENT_RETENTION_DAYS). */
  payloadRetentionDays: number | null;
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
    dailyInboundQuota: v.dailyInboundQuota ?? null,
    payloadRetentionDays: v.payloadRetentionDays ?? null,
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
  deps.directory.remember(id, updated.value.status === 'active', updated.value.dailyInboundQuota);
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

/**
 * Set (or with null remove) the tenant's daily inbound quota. Receivers pick it up within the
 * directory's TTL (this instance at once); the day's count so far is kept, so lowering the quota
 * below it refuses the rest of the day.
 */
export async function setTenantLimits(
  deps: TenantDeps,
  operator: Principal,
  id: string,
  limits: { dailyInboundQuota: number | null },
  correlationId: string,
): Promise<TenantView> {
  let changed = false;
  const updated = await deps.table.update(TENANTS_PARTITION, id, (current) => {
    changed = false;
    if (!current || (current.dailyInboundQuota ?? null) === limits.dailyInboundQuota) return undefined;
    changed = true;
    const { dailyInboundQuota: _old, ...rest } = current;
    return {
      ...rest,
      ...(limits.dailyInboundQuota === null ? {} : { dailyInboundQuota: limits.dailyInboundQuota }),
      updatedAt: new Date(nowMs()).toISOString(),
    };
  });
  if (!updated) throw new ResourceNotFoundError('tenant', id);
  deps.directory.remember(id, updated.value.status === 'active', updated.value.dailyInboundQuota);
  if (changed) await auditTenantAction(deps, operator, id, 'tenant.limits_changed', correlationId);
  return toTenantView(updated);
}

/**
 * Sets how long the tenant's event and delivery payloads are kept (null: the platform maximum).
 * The platform maximum is EVENT_RETENTION_DAYS, after which the whole event goes anyway, so a
 * longer window would promise what retention does not keep: 422 `payload_retention_too_long`,
 * nothing changed. Audited when it changes; repeating it changes and audits nothing.
 */
export async function setPayloadRetention(
  deps: TenantDeps,
  operator: Principal,
  id: string,
  input: { days: number | null; maximumDays: number },
  correlationId: string,
): Promise<TenantView> {
  if (input.days !== null && input.days > input.maximumDays) {
    throw new DomainError(
      'payload_retention_too_long',
      `Payloads can be kept at most ${input.maximumDays} days (EVENT_RETENTION_DAYS) in this deployment.`,
      { days: input.days, maximumDays: input.maximumDays },
    );
  }
  let changed = false;
  const updated = await deps.table.update(TENANTS_PARTITION, id, (current) => {
    changed = false;
    if (!current || (current.payloadRetentionDays ?? null) === input.days) return undefined;
    changed = true;
    const { payloadRetentionDays: _old, ...rest } = current;
    const at = new Date(nowMs()).toISOString();
    return input.days === null
      ? { ...rest, updatedAt: at }
      : { ...rest, payloadRetentionDays: input.days, updatedAt: at };
  });
  if (!updated) throw new ResourceNotFoundError('tenant', id);
  if (changed) await auditTenantAction(deps, operator, id, 'tenant.payload_retention_set', correlationId);
  return toTenantView(updated);
}

/** Every tenant with a payload retention of its own (the housekeeping walks only these). */
export async function tenantsWithPayloadRetention(
  deps: Pick<TenantDeps, 'table'>,
): Promise<{ tenantId: string; days: number }[]> {
  const out: { tenantId: string; days: number }[] = [];
  for await (const row of deps.table.iterate(TENANTS_PARTITION)) {
    if (row.value.payloadRetentionDays !== undefined)
      out.push({ tenantId: row.rowKey, days: row.value.payloadRetentionDays });
  }
  return out;
}
