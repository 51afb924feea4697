import type { Principal } from '../apikeys/principal';
import { nowMs } from '../clock/index';
import { DomainError, ResourceNotFoundError, ValidationError } from '../errors/domain-error';
import { crashPoint } from '../faults/crash-points';
import { ConflictError } from '../storage/errors';
import type { Stored } from '../storage/table-repository';
import type { EntityDeps } from './entity-deps';
import { changeEventKey } from './event-keys';
import { kindSpec } from './kinds';
import { type EntityRowBase, heldKey, type KindSpec, loadCurrent, parse, readHeld, replaceRow } from './resync';
import type { CompanyLink, ConflictRow, EntityKind, FieldValues } from './tables';

/** Between the publication and the company row (docs/entity-sync.md, "Events"): a retry must publish nothing new. */
export const RESOLVE_CRASH_AFTER_PUBLISH = 'entities.resolve.after-publish';

export interface ConflictView {
  id: string;
  /** What the conflict is about: a company (`companyId`) or a contact (`contactId`). */
  kind: EntityKind;
  entityId: string;
  companyId?: string;
  contactId?: string;
  field: string;
  base: string;
  versions: { integrationId: string; vendor: string; value: string }[];
  status: 'open' | 'resolved';
  resolvedValue?: string;
  resolvedAt?: string;
  createdAt: string;
}

function view(row: Stored<ConflictRow>): ConflictView {
  const versions = parse<ConflictView['versions']>(row.value.versions, []);
  const kind = row.value.kind ?? 'company';
  return {
    id: row.rowKey,
    kind,
    entityId: row.value.companyId,
    ...(kind === 'company' ? { companyId: row.value.companyId } : { contactId: row.value.companyId }),
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
 * field's base and the hub's value, and `company.updated` (`contact.updated`) is published once — its event id comes
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
  // Generic over the kind: a company's and a contact's rows have the same parts (shared/entities/resync.ts).
  const spec = kindSpec(conflict.value.kind ?? 'company') as unknown as KindSpec<EntityRowBase>;
  const entity = await loadCurrent(deps, spec, tenantId, conflict.value.companyId);
  const links = parse<CompanyLink[]>(entity.value.links, []);
  const writtenTo: string[] = [];
  for (const link of links) {
    const source = spec.sourceFor(link.vendor);
    if (!source?.writable) continue;
    const { session } = await deps.openSession(tenantId, link.integrationId, correlationId);
    await source.update(session, link.vendorId, { [field]: value });
    writtenTo.push(link.integrationId);
  }
  const values: FieldValues = { ...parse<FieldValues>(entity.value.values, {}), [field]: value };
  const base: FieldValues = { ...parse<FieldValues>(entity.value.base, {}), [field]: value };
  // Nothing is written to a read-only product: it still holds the version it showed in the
  // conflict, or, when it showed none, what it held before (its held value, else the old base).
  const held = readHeld(entity.value);
  for (const link of links) {
    if (spec.sourceFor(link.vendor)?.writable !== false) continue;
    const mine = held[heldKey(link)] ?? {};
    const shown = versions.find((v) => v.integrationId === link.integrationId);
    held[heldKey(link)] = { ...mine, [field]: shown?.value ?? mine[field] ?? conflict.value.base };
  }
  await deps.publish(tenantId, {
    ...spec.updated(entity, values, [field]),
    source: 'hub',
    key: changeEventKey(Date.parse(conflict.value.createdAt), `${id}:resolved`),
  });
  crashPoint(RESOLVE_CRASH_AFTER_PUBLISH);
  const at = new Date(nowMs()).toISOString();
  await replaceRow(deps, spec, tenantId, entity, {
    ...entity.value,
    values: JSON.stringify(values),
    base: JSON.stringify(base),
    ...(Object.keys(held).length > 0 ? { heldBy: JSON.stringify(held) } : {}),
    ...spec.keys(values),
    version: entity.value.version + 1,
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
