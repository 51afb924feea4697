import type { Principal } from '../apikeys/principal';
import { nowMs } from '../clock/index';
import { DomainError, ResourceNotFoundError, ValidationError } from '../errors/domain-error';
import { crashPoint } from '../faults/crash-points';
import { ConflictError } from '../storage/errors';
import type { Stored } from '../storage/table-repository';
import { type EntityDeps, loadCompany, replaceCompany } from './companies';
import { changeEventKey } from './event-keys';
import { matchKeys } from './matching';
import { companySourceFor } from './sources/index';
import type { CompanyLink, CompanyValues, ConflictRow } from './tables';

/** Between the publication and the company row (docs/entity-sync.md, "Events"): a retry must publish nothing new. */
export const RESOLVE_CRASH_AFTER_PUBLISH = 'entities.resolve.after-publish';

export interface ConflictView {
  id: string;
  companyId: string;
  field: string;
  base: string;
  versions: { integrationId: string; vendor: string; value: string }[];
  status: 'open' | 'resolved';
  resolvedValue?: string;
  resolvedAt?: string;
  createdAt: string;
}

function view(row: Stored<ConflictRow>): ConflictView {
  let versions: ConflictView['versions'] = [];
  try {
    versions = JSON.parse(row.value.versions) as ConflictView['versions'];
  } catch {
    versions = [];
  }
  return {
    id: row.rowKey,
    companyId: row.value.companyId,
    field: row.value.field,
    base: row.value.base,
    versions,
    status: row.value.status,
    ...(row.value.resolvedValue !== undefined ? { resolvedValue: row.value.resolvedValue } : {}),
    ...(row.value.resolvedAt !== undefined ? { resolvedAt: row.value.resolvedAt } : {}),
    createdAt: row.value.createdAt,
  };
}

export async function listConflicts(
  deps: EntityDeps,
  caller: Principal,
  query: { status?: 'open' | 'resolved' | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: ConflictView[]; nextCursor: string | null }> {
  const page = await deps.tables.conflicts.list(caller.tenantId, {
    limit: query.limit,
    cursor: query.cursor ?? null,
    ...(query.status ? { filter: `status eq '${query.status}'` } : {}),
  });
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}

export type Resolution = { integrationId: string } | { value: string };

/**
 * Settles a conflict with one product's version or a value of the caller's (docs/entity-sync.md,
 * "Conflicts"): the value is written to every linked product that allows writes, becomes the
 * field's base and the hub's value, and `company.updated` is published once — its event id comes
 * from the conflict, so a retried resolve after a crash publishes nothing new. The conflict row is
 * settled last, under its ETag: two resolves racing settle it once.
 */
export async function resolveConflict(
  deps: EntityDeps,
  caller: Principal,
  id: string,
  resolution: Resolution,
  correlationId: string,
): Promise<{ conflict: ConflictView; writtenTo: string[] }> {
  const tenantId = caller.tenantId;
  const conflict = await deps.tables.conflicts.get(tenantId, id);
  if (!conflict) throw new ResourceNotFoundError('conflict', id);
  if (conflict.value.status === 'resolved')
    throw new DomainError('conflict_resolved', 'This conflict has already been resolved.', { id });
  const versions = view(conflict).versions;
  let value: string;
  if ('value' in resolution) value = resolution.value;
  else {
    const chosen = versions.find((v) => v.integrationId === resolution.integrationId);
    if (!chosen)
      throw new ValidationError('The integration chosen holds no version of this conflict.', [
        { path: 'integrationId', message: 'not one of the conflict’s versions' },
      ]);
    value = chosen.value;
  }
  const field = conflict.value.field;
  let company = await loadCompany(deps, tenantId, conflict.value.companyId);
  if (company.value.aliasOf) company = await loadCompany(deps, tenantId, company.value.aliasOf);
  const links = JSON.parse(company.value.links) as CompanyLink[];
  const writtenTo: string[] = [];
  for (const link of links) {
    const source = companySourceFor(link.vendor);
    if (!source?.writable) continue;
    const { session } = await deps.openSession(tenantId, link.integrationId, correlationId);
    await source.update(session, link.vendorId, { [field]: value });
    writtenTo.push(link.integrationId);
  }
  const values: CompanyValues = { ...(JSON.parse(company.value.values) as CompanyValues), [field]: value };
  const base: CompanyValues = { ...(JSON.parse(company.value.base) as CompanyValues), [field]: value };
  await deps.publish(tenantId, {
    type: 'company.updated',
    data: { companyId: company.rowKey, name: values.name ?? '', changedFields: [field] },
    source: 'hub',
    key: changeEventKey(Date.parse(conflict.value.createdAt), `${id}:resolved`),
  });
  crashPoint(RESOLVE_CRASH_AFTER_PUBLISH);
  const at = new Date(nowMs()).toISOString();
  await replaceCompany(deps, tenantId, company, {
    ...company.value,
    values: JSON.stringify(values),
    base: JSON.stringify(base),
    ...matchKeys(values),
    version: company.value.version + 1,
    updatedAt: at,
  });
  const settled: ConflictRow = { ...conflict.value, status: 'resolved', resolvedValue: value, resolvedAt: at };
  try {
    await deps.tables.conflicts.replace(tenantId, id, settled, conflict.etag);
  } catch (error) {
    if (error instanceof ConflictError)
      throw new DomainError('conflict_resolved', 'This conflict has already been resolved.', { id });
    throw error;
  }
  return { conflict: view({ ...conflict, value: settled }), writtenTo };
}
