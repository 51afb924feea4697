import { nowMs } from '../clock/index';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
import { AlreadyExistsError, ConflictError } from '../storage/errors';
import { escapeKey } from '../storage/keys';
import type { Stored, TableRepository } from '../storage/table-repository';
import type { VendorSession } from '../vendors/contract';
import type { EntityDeps, EntityEvent } from './entity-deps';
import { changeEventKey, stableId } from './event-keys';
import type { CompanyLink, ConflictRow, EntityKind, EntityTables, FieldValues } from './tables';
import { type ProductSide, threeWay } from './three-way';

/**
 * What companies and contacts share (docs/entity-sync.md, "Resync and conflicts"): reading each
 * linked product, the three-way comparison, writing one-sided changes back, recording conflicts,
 * unlinking product records that are gone and marking an entity deleted when none is left. A kind
 * (`KindSpec`) says where its rows live, which sources hold it and what its events are.
 */

/** The columns every canonical entity row has (CompanyRow and ContactRow add their match keys). */
export type EntityRowBase = Record<string, unknown> & {
  values: string;
  base: string;
  links: string;
  possibleDuplicateOf?: string | undefined;
  aliasOf?: string | undefined;
  /** JSON {linkKey: values} of the read-only products (see HeldBy). */
  heldBy?: string | undefined;
  deletedAt?: string | undefined;
  version: number;
  createdAt: string;
  updatedAt: string;
};

/** A product's record of one kind, as the shared code sees it. */
export interface ProductRecord {
  vendorId: string;
  values: FieldValues;
}

/** What resync needs of a product (CompanySource and ContactSource both are one). */
export interface RecordSource {
  vendor: string;
  writable: boolean;
  get(session: VendorSession<unknown, unknown>, vendorId: string): Promise<ProductRecord | undefined>;
  update(session: VendorSession<unknown, unknown>, vendorId: string, values: FieldValues): Promise<void>;
}

export interface KindSpec<R extends EntityRowBase> {
  kind: EntityKind;
  fields: readonly string[];
  rows(tables: EntityTables): TableRepository<R>;
  /** Removes the link row of a product record that is gone. */
  unlink(tables: EntityTables, tenantId: string, link: CompanyLink): Promise<void>;
  /** Points a product record's link row at an entity (a merge moving it, an unmerge moving it back). */
  pointLink(tables: EntityTables, tenantId: string, link: CompanyLink, entityId: string): Promise<void>;
  sourceFor(vendor: string): RecordSource | undefined;
  /** The row's matching keys, recomputed from its values. */
  keys(values: FieldValues): Partial<R>;
  updated(row: Stored<R>, values: FieldValues, changedFields: string[]): EntityEvent;
  deleted(row: Stored<R>, values: FieldValues): EntityEvent;
}

export function linkKey(integrationId: string, vendorId: string): string {
  return `${integrationId}|${escapeKey(vendorId)}`;
}

export const parse = <T>(text: string, fallback: T): T => {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

/**
 * What the API shows of an entity row: its values parsed, its links, and the optional columns only
 * when set. `extra` (a contact's company) comes right after the values.
 */
export function entityView<V extends FieldValues, X extends Record<string, unknown> = Record<never, never>>(
  row: Stored<EntityRowBase>,
  extra?: X,
) {
  const values = parse<V>(row.value.values, {} as V);
  return {
    id: row.rowKey,
    name: values.name ?? '',
    values,
    ...(extra as X),
    links: parse<CompanyLink[]>(row.value.links, []),
    ...(row.value.possibleDuplicateOf ? { possibleDuplicateOf: row.value.possibleDuplicateOf } : {}),
    ...(row.value.aliasOf ? { aliasOf: row.value.aliasOf } : {}),
    ...(row.value.deletedAt ? { deletedAt: row.value.deletedAt } : {}),
    version: row.value.version,
    createdAt: row.value.createdAt,
    updatedAt: row.value.updatedAt,
  };
}

export const sameLink = (a: CompanyLink, b: CompanyLink) =>
  a.integrationId === b.integrationId && a.vendorId === b.vendorId;

/**
 * What each read-only product (IT Glue, Microsoft 365) held at the last sync, by link key. The
 * shared base cannot stand for them: a resolved conflict or a change from another product is never
 * written to them, so their value stays away from the base, and compared with the base they would
 * seem to change it back at every resync. Compared with what they held, they change only when
 * someone changes them.
 */
export type HeldBy = Record<string, FieldValues>;

export const heldKey = (link: { integrationId: string; vendorId: string }) =>
  linkKey(link.integrationId, link.vendorId);

export function readHeld(row: { heldBy?: string | undefined }): HeldBy {
  return parse<HeldBy>(row.heldBy ?? '{}', {});
}

/**
 * A product record joining an entity: fields the entity lacks are taken (and are the base);
 * fields the two disagree on lose their base, so the next resync asks a person.
 */
export function absorb(values: FieldValues, base: FieldValues, theirs: FieldValues, fields: readonly string[]): void {
  for (const field of fields) {
    const value = theirs[field];
    if (value === undefined) continue;
    if (values[field] === undefined) {
      values[field] = value;
      base[field] = value;
    } else if (values[field] !== value) delete base[field];
  }
}

/** Inserts a row that may already be there (a retried match): the stored one wins. */
export async function insertOnce<T extends Record<string, unknown>>(
  repo: TableRepository<T>,
  tenantId: string,
  key: string,
  value: T,
) {
  try {
    return await repo.insert(tenantId, key, value);
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    const stored = await repo.get(tenantId, key);
    if (!stored) throw error;
    return stored;
  }
}

export async function loadRow<R extends EntityRowBase>(
  deps: EntityDeps,
  spec: KindSpec<R>,
  tenantId: string,
  id: string,
): Promise<Stored<R>> {
  const row = await spec.rows(deps.tables).get(tenantId, id);
  if (!row) throw new ResourceNotFoundError(spec.kind, id);
  return row;
}

/** The entity a (possibly merged) id stands for now. */
export async function loadCurrent<R extends EntityRowBase>(
  deps: EntityDeps,
  spec: KindSpec<R>,
  tenantId: string,
  id: string,
): Promise<Stored<R>> {
  const row = await loadRow(deps, spec, tenantId, id);
  return row.value.aliasOf ? loadRow(deps, spec, tenantId, row.value.aliasOf) : row;
}

export async function replaceRow<R extends EntityRowBase>(
  deps: EntityDeps,
  spec: KindSpec<R>,
  tenantId: string,
  row: Stored<R>,
  value: R,
): Promise<Stored<R>> {
  try {
    const written = await spec.rows(deps.tables).replace(tenantId, row.rowKey, value, row.etag);
    return { ...row, ...written, value };
  } catch (error) {
    if (error instanceof ConflictError)
      throw new DomainError('entity_changed', `The ${spec.kind} changed while this request ran; try again.`, {
        id: row.rowKey,
      });
    throw error;
  }
}

export interface ComparedProduct {
  integrationId: string;
  vendor: string;
  vendorId: string;
  lastSyncedAt: string;
  /** False when the product no longer holds the record. */
  found: boolean;
  values: FieldValues;
}

/** Opens an integration's vendor session once and hands the same one out after that. */
export type SessionOpener = (integrationId: string) => Promise<VendorSession<unknown, unknown>>;

/**
 * Sessions kept for one resync (or one sync run's resyncs): opening one reads and decrypts the
 * integration, which the reads and the write-back of the same product need only once. A failed
 * open is not kept, so the next entity tries again.
 */
export function sessionsOnce(deps: EntityDeps, tenantId: string, correlationId: string): SessionOpener {
  const opened = new Map<string, Promise<VendorSession<unknown, unknown>>>();
  return (integrationId) => {
    let session = opened.get(integrationId);
    if (!session) {
      session = deps.openSession(tenantId, integrationId, correlationId).then((o) => o.session);
      opened.set(integrationId, session);
      session.catch(() => opened.delete(integrationId));
    }
    return session;
  };
}

/** Each linked product's record now (live reads through the integration's vendor port). */
export async function readSides(
  deps: EntityDeps,
  spec: KindSpec<EntityRowBase>,
  tenantId: string,
  links: CompanyLink[],
  correlationId: string,
  sessions: SessionOpener = sessionsOnce(deps, tenantId, correlationId),
): Promise<ComparedProduct[]> {
  const out: ComparedProduct[] = [];
  for (const link of links) {
    const source = spec.sourceFor(link.vendor);
    if (!source) continue;
    const session = await sessions(link.integrationId);
    const product = await source.get(session, link.vendorId);
    out.push({ ...link, found: product !== undefined, values: product?.values ?? {} });
  }
  return out;
}

/** The conflict's id: the same entity, field, base and values seen make the same conflict. */
function conflictId(
  entityId: string,
  field: string,
  base: string,
  versions: { integrationId: string; value: string }[],
) {
  const seen = versions.map((v) => `${v.integrationId}=${v.value}`).sort();
  return stableId('k', entityId, field, base, ...seen);
}

/** Writes `values` to every writable product that holds the record and differs; never to a read-only one. */
async function writeBack(
  spec: KindSpec<EntityRowBase>,
  sides: ComparedProduct[],
  values: FieldValues,
  sessions: SessionOpener,
): Promise<string[]> {
  const written: string[] = [];
  for (const side of sides) {
    const source = spec.sourceFor(side.vendor);
    if (!source?.writable || !side.found) continue;
    const differing: FieldValues = {};
    for (const field of spec.fields)
      if (values[field] !== undefined && side.values[field] !== values[field]) differing[field] = values[field];
    if (Object.keys(differing).length === 0) continue;
    await source.update(await sessions(side.integrationId), side.vendorId, differing);
    written.push(side.integrationId);
  }
  return written;
}

export interface EntityResync<R> {
  row: Stored<R>;
  changedFields: string[];
  conflicts: string[];
  writtenTo: string[];
  /** Integrations whose record of this entity was gone and is no longer linked. */
  unlinked: string[];
  deleted: boolean;
}

/**
 * One entity now: read every linked product, compare each field three ways, write one-sided
 * changes to the other products, record a conflict for each field two products changed
 * differently, unlink products that no longer hold the record (the entity is deleted when none is
 * left), and publish once per change. Vendor writes, link removals and the (keyed) publications
 * come before the row, so a retry after a crash repeats the same writes and the same event ids.
 */
export async function resyncEntity<R extends EntityRowBase>(
  deps: EntityDeps,
  spec: KindSpec<R>,
  tenantId: string,
  id: string,
  correlationId: string,
  sessions: SessionOpener = sessionsOnce(deps, tenantId, correlationId),
): Promise<EntityResync<R>> {
  const row = await loadCurrent(deps, spec, tenantId, id);
  const links = parse<CompanyLink[]>(row.value.links, []);
  const generic = spec as unknown as KindSpec<EntityRowBase>;
  const sides = await readSides(deps, generic, tenantId, links, correlationId, sessions);
  const base = parse<FieldValues>(row.value.base, {});
  const held = readHeld(row.value);
  const readOnly = (s: ComparedProduct) => spec.sourceFor(s.vendor)?.writable === false;
  const present: ProductSide[] = sides
    .filter((s) => s.found)
    .map((s) => (readOnly(s) ? { ...s, held: held[heldKey(s)] } : s));
  const gone = sides.filter((s) => !s.found);
  // Read-only products are held at what they hold now; gone ones are forgotten.
  const nextHeld: HeldBy = {};
  for (const side of sides) if (side.found && readOnly(side)) nextHeld[heldKey(side)] = side.values;
  const { changes, conflicts } = threeWay(base, present, spec.fields);
  const conflictIds: string[] = [];
  for (const conflict of conflicts) {
    const cid = conflictId(row.rowKey, conflict.field, conflict.base, conflict.versions);
    conflictIds.push(cid);
    await insertOnce<ConflictRow>(deps.tables.conflicts, tenantId, cid, {
      kind: spec.kind,
      companyId: row.rowKey,
      field: conflict.field as ConflictRow['field'],
      base: conflict.base,
      versions: JSON.stringify(conflict.versions),
      status: 'open',
      createdAt: new Date(nowMs()).toISOString(),
    });
  }
  const changedFields = Object.keys(changes);
  const writtenTo = await writeBack(generic, sides, changes, sessions);
  for (const side of gone) await spec.unlink(deps.tables, tenantId, side);
  const at = new Date(nowMs()).toISOString();
  const values = { ...parse<FieldValues>(row.value.values, {}), ...changes };
  const kept = links.filter((l) => !gone.some((g) => sameLink(g, l))).map((l) => ({ ...l, lastSyncedAt: at }));
  const deleted = links.length > 0 && kept.length === 0;
  const changed = changedFields.length > 0 || gone.length > 0;
  const version = changed ? row.value.version + 1 : row.value.version;
  if (changed && !deleted) {
    const fields = gone.length > 0 ? [...changedFields, 'links'] : changedFields;
    await deps.publish(tenantId, {
      ...spec.updated(row, values, fields),
      source: 'hub',
      key: changeEventKey(Date.parse(row.value.updatedAt), `${row.rowKey}:v${version}`),
    });
  }
  if (deleted) {
    // Once per entity: the key names the deletion, not the version.
    await deps.publish(tenantId, {
      ...spec.deleted(row, values),
      source: 'hub',
      key: changeEventKey(Date.parse(row.value.createdAt), `${row.rowKey}:deleted`),
    });
  }
  const stored = await replaceRow(deps, spec, tenantId, row, {
    ...row.value,
    values: JSON.stringify(values),
    base: JSON.stringify({ ...base, ...changes }),
    links: JSON.stringify(kept),
    ...(Object.keys(nextHeld).length > 0 || row.value.heldBy !== undefined ? { heldBy: JSON.stringify(nextHeld) } : {}),
    ...spec.keys(values),
    ...(deleted ? { deletedAt: at } : {}),
    version,
    updatedAt: at,
  });
  return {
    row: stored,
    changedFields,
    conflicts: conflictIds,
    writtenTo,
    unlinked: gone.map((g) => g.integrationId),
    deleted,
  };
}

/**
 * A new entity from its first link — or, when that product record comes back after its entity was
 * deleted (same first link, so the same id), the deleted entity revived with the record's values.
 * The created event is published before the row changes and keyed by the entity (and, for a
 * revival, the version it comes back at), so a match retried after a crash names the same event.
 */
export async function createOrRevive<R extends EntityRowBase>(
  deps: EntityDeps,
  spec: KindSpec<R>,
  tenantId: string,
  id: string,
  fresh: R,
  created: EntityEvent & { source: string },
): Promise<Stored<R>> {
  const stored = await insertOnce(spec.rows(deps.tables), tenantId, id, fresh);
  const since = Date.parse(stored.value.createdAt);
  if (!stored.value.deletedAt) {
    await deps.publish(tenantId, { ...created, key: changeEventKey(since, `${id}:created`) });
    return stored;
  }
  const version = stored.value.version + 1;
  await deps.publish(tenantId, { ...created, key: changeEventKey(since, `${id}:created:v${version}`) });
  const { deletedAt: _gone, ...standing } = stored.value;
  return replaceRow(deps, spec, tenantId, stored, {
    ...standing,
    ...fresh,
    createdAt: stored.value.createdAt,
    version,
  });
}
