import type { Principal } from '../apikeys/principal';
import { nowMs } from '../clock/index';
import { DomainError, ResourceNotFoundError } from '../errors/domain-error';
import type { Logger } from '../observability/logger';
import { AlreadyExistsError, ConflictError } from '../storage/errors';
import { escapeKey } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import type { VendorSession } from '../vendors/contract';
import { changeEventKey, stableId } from './event-keys';
import { matchKeys, sameCompany } from './matching';
import { COMPANY_VENDORS, companySourceFor } from './sources/index';
import {
  COMPANY_FIELDS,
  type CompanyLink,
  type CompanyRow,
  type CompanyValues,
  type ConflictRow,
  type EntityTables,
} from './tables';
import { type ProductSide, threeWay } from './three-way';

/** Company events entity sync publishes (registered in shared/outbound/event-types.ts). */
export type CompanyEvent =
  | { type: 'company.created'; data: { companyId: string; name: string } }
  | { type: 'company.updated'; data: { companyId: string; name: string; changedFields: string[] } };

export interface EntityDeps {
  tables: EntityTables;
  /** The tenant's integrations (id and vendor), through the integrations' verbs. */
  integrations(caller: Principal): Promise<{ id: string; vendor: string }[]>;
  openSession(
    tenantId: string,
    integrationId: string,
    correlationId: string,
  ): Promise<{ session: VendorSession<unknown, unknown> }>;
  /** The outbound publish; `key` makes a repeated publication a no-op. */
  publish(tenantId: string, event: CompanyEvent & { source: string; key: string }): Promise<unknown>;
  log: Logger;
}

export interface CompanyView {
  id: string;
  name: string;
  values: CompanyValues;
  links: CompanyLink[];
  possibleDuplicateOf?: string;
  aliasOf?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function linkKey(integrationId: string, vendorId: string): string {
  return `${integrationId}|${escapeKey(vendorId)}`;
}

const parse = <T>(text: string, fallback: T): T => {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

export function companyView(row: Stored<CompanyRow>): CompanyView {
  const values = parse<CompanyValues>(row.value.values, {});
  return {
    id: row.rowKey,
    name: values.name ?? '',
    values,
    links: parse<CompanyLink[]>(row.value.links, []),
    ...(row.value.possibleDuplicateOf ? { possibleDuplicateOf: row.value.possibleDuplicateOf } : {}),
    ...(row.value.aliasOf ? { aliasOf: row.value.aliasOf } : {}),
    version: row.value.version,
    createdAt: row.value.createdAt,
    updatedAt: row.value.updatedAt,
  };
}

export async function loadCompany(deps: EntityDeps, tenantId: string, id: string): Promise<Stored<CompanyRow>> {
  const row = await deps.tables.companies.get(tenantId, id);
  if (!row) throw new ResourceNotFoundError('company', id);
  return row;
}

async function companyIntegrations(deps: EntityDeps, caller: Principal) {
  return (await deps.integrations(caller)).filter((i) => COMPANY_VENDORS.includes(i.vendor));
}

export interface MatchResult {
  created: number;
  linked: number;
  flagged: number;
  alreadyLinked: number;
}

/**
 * Reads every company of every company-holding integration and gives each a canonical company:
 * a record already linked (its external id) stays where it is; otherwise the first company with
 * the same normalised name or domain takes the link — unless that company already has a record of
 * the same integration, which makes this one a possible duplicate (a new company, flagged, never
 * merged automatically). A field two linked records disagree on gets no base, so the next resync
 * asks a person instead of letting either win.
 */
export async function matchCompanies(deps: EntityDeps, caller: Principal, correlationId: string): Promise<MatchResult> {
  const tenantId = caller.tenantId;
  const result: MatchResult = { created: 0, linked: 0, flagged: 0, alreadyLinked: 0 };
  const companies = new Map<string, Stored<CompanyRow>>();
  for await (const row of deps.tables.companies.iterate(tenantId)) companies.set(row.rowKey, row);
  for (const integration of await companyIntegrations(deps, caller)) {
    const source = companySourceFor(integration.vendor);
    if (!source) continue;
    const { session } = await deps.openSession(tenantId, integration.id, correlationId);
    const at = new Date(nowMs()).toISOString();
    for (const product of await source.list(session)) {
      const key = linkKey(integration.id, product.vendorId);
      if (await deps.tables.links.get(tenantId, key)) {
        result.alreadyLinked++;
        continue;
      }
      // A match that crashed between a company's row and the link row: the company already holds it.
      const holder = [...companies.values()].find((c) =>
        parse<CompanyLink[]>(c.value.links, []).some(
          (l) => l.integrationId === integration.id && l.vendorId === product.vendorId,
        ),
      );
      if (holder) {
        await insertLink(deps, tenantId, key, holder.rowKey);
        result.alreadyLinked++;
        continue;
      }
      const keys = matchKeys(product.values);
      const link: CompanyLink = {
        integrationId: integration.id,
        vendor: integration.vendor,
        vendorId: product.vendorId,
        lastSyncedAt: at,
      };
      const candidate = [...companies.values()].find((c) => !c.value.aliasOf && sameCompany(c.value, keys));
      const candidateLinks = candidate ? parse<CompanyLink[]>(candidate.value.links, []) : [];
      if (candidate && !candidateLinks.some((l) => l.integrationId === integration.id)) {
        const values = parse<CompanyValues>(candidate.value.values, {});
        const base = parse<CompanyValues>(candidate.value.base, {});
        for (const field of COMPANY_FIELDS) {
          const theirs = product.values[field];
          if (theirs === undefined) continue;
          if (values[field] === undefined) {
            values[field] = theirs;
            base[field] = theirs;
          } else if (values[field] !== theirs) delete base[field];
        }
        const updated = await replaceCompany(deps, tenantId, candidate, {
          ...candidate.value,
          values: JSON.stringify(values),
          base: JSON.stringify(base),
          links: JSON.stringify([...candidateLinks, link]),
          updatedAt: at,
        });
        companies.set(candidate.rowKey, updated);
        await insertLink(deps, tenantId, key, candidate.rowKey);
        result.linked++;
        continue;
      }
      // A new company; its id follows from its first link, so a retried match makes the same one.
      const id = stableId('c', tenantId, key);
      const row: CompanyRow = {
        values: JSON.stringify(product.values),
        base: JSON.stringify(product.values),
        links: JSON.stringify([link]),
        ...keys,
        ...(candidate ? { possibleDuplicateOf: candidate.rowKey } : {}),
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      let stored: Stored<CompanyRow>;
      try {
        stored = await deps.tables.companies.insert(tenantId, id, row);
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        stored = await loadCompany(deps, tenantId, id);
      }
      companies.set(id, stored);
      await deps.publish(tenantId, {
        type: 'company.created',
        data: { companyId: id, name: product.values.name ?? '' },
        source: integration.vendor,
        key: changeEventKey(Date.parse(stored.value.createdAt), `${id}:created`),
      });
      await insertLink(deps, tenantId, key, id);
      result.created++;
      if (candidate) result.flagged++;
    }
  }
  return result;
}

async function insertLink(deps: EntityDeps, tenantId: string, key: string, companyId: string): Promise<void> {
  try {
    await deps.tables.links.insert(tenantId, key, { companyId });
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
  }
}

export async function listCompanies(
  deps: EntityDeps,
  caller: Principal,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: CompanyView[]; nextCursor: string | null }> {
  const page = await deps.tables.companies.list(caller.tenantId, { limit: query.limit, cursor: query.cursor ?? null });
  return { items: page.items.map(companyView), nextCursor: page.nextCursor };
}

export interface ComparedProduct {
  integrationId: string;
  vendor: string;
  vendorId: string;
  lastSyncedAt: string;
  /** False when the product no longer holds the record. */
  found: boolean;
  values: CompanyValues;
}

async function readSides(deps: EntityDeps, tenantId: string, links: CompanyLink[], correlationId: string) {
  const out: ComparedProduct[] = [];
  for (const link of links) {
    const source = companySourceFor(link.vendor);
    if (!source) continue;
    const { session } = await deps.openSession(tenantId, link.integrationId, correlationId);
    const product = await source.get(session, link.vendorId);
    out.push({ ...link, found: product !== undefined, values: product?.values ?? {} });
  }
  return out;
}

/** Each linked product's values now, beside the hub's and the base (read live, nothing written). */
export async function compareCompany(deps: EntityDeps, caller: Principal, id: string, correlationId: string) {
  const row = await loadCompany(deps, caller.tenantId, id);
  const view = companyView(row);
  return {
    company: view,
    base: parse<CompanyValues>(row.value.base, {}),
    products: await readSides(deps, caller.tenantId, view.links, correlationId),
  };
}

/** The conflict's id: the same company, field, base and values seen make the same conflict. */
function conflictId(
  companyId: string,
  field: string,
  base: string,
  versions: { integrationId: string; value: string }[],
) {
  const seen = versions.map((v) => `${v.integrationId}=${v.value}`).sort();
  return stableId('k', companyId, field, base, ...seen);
}

/** Writes `values` to every writable linked product whose value differs (or to all when `current` is absent). */
async function writeBack(
  deps: EntityDeps,
  tenantId: string,
  sides: ComparedProduct[],
  values: CompanyValues,
  correlationId: string,
): Promise<string[]> {
  const written: string[] = [];
  for (const side of sides) {
    const source = companySourceFor(side.vendor);
    if (!source?.writable || !side.found) continue;
    const differing: CompanyValues = {};
    for (const field of COMPANY_FIELDS)
      if (values[field] !== undefined && side.values[field] !== values[field]) differing[field] = values[field];
    if (Object.keys(differing).length === 0) continue;
    const { session } = await deps.openSession(tenantId, side.integrationId, correlationId);
    await source.update(session, side.vendorId, differing);
    written.push(side.integrationId);
  }
  return written;
}

export interface ResyncResult {
  company: CompanyView;
  changedFields: string[];
  conflicts: string[];
  writtenTo: string[];
}

/**
 * One company now (docs/entity-sync.md, "Resync"): read every linked product, compare each field
 * three ways, write one-sided changes to the other products, record a conflict for each field two
 * products changed differently, and publish `company.updated` once for the change. Order matters
 * for crashes: vendor writes and the (keyed) publication come before the company row, so a retry
 * after a crash finds the same change and repeats the same writes and the same event id.
 */
export async function resyncCompany(
  deps: EntityDeps,
  caller: Principal,
  id: string,
  correlationId: string,
): Promise<ResyncResult> {
  const tenantId = caller.tenantId;
  let row = await loadCompany(deps, tenantId, id);
  if (row.value.aliasOf) row = await loadCompany(deps, tenantId, row.value.aliasOf);
  const links = parse<CompanyLink[]>(row.value.links, []);
  const sides = await readSides(deps, tenantId, links, correlationId);
  const base = parse<CompanyValues>(row.value.base, {});
  const present: ProductSide[] = sides.filter((s) => s.found);
  const { changes, conflicts } = threeWay(base, present);
  const conflictIds: string[] = [];
  for (const conflict of conflicts) {
    const cid = conflictId(row.rowKey, conflict.field, conflict.base, conflict.versions);
    conflictIds.push(cid);
    const value: ConflictRow = {
      companyId: row.rowKey,
      field: conflict.field,
      base: conflict.base,
      versions: JSON.stringify(conflict.versions),
      status: 'open',
      createdAt: new Date(nowMs()).toISOString(),
    };
    try {
      await deps.tables.conflicts.insert(tenantId, cid, value);
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
    }
  }
  const changedFields = Object.keys(changes);
  const writtenTo = await writeBack(deps, tenantId, sides, changes, correlationId);
  const at = new Date(nowMs()).toISOString();
  const values = { ...parse<CompanyValues>(row.value.values, {}), ...changes };
  const nextLinks = links.map((l) => ({ ...l, lastSyncedAt: at }));
  const version = changedFields.length > 0 ? row.value.version + 1 : row.value.version;
  if (changedFields.length > 0) {
    await deps.publish(tenantId, {
      type: 'company.updated',
      data: { companyId: row.rowKey, name: values.name ?? '', changedFields },
      source: 'hub',
      key: changeEventKey(Date.parse(row.value.updatedAt), `${row.rowKey}:v${version}`),
    });
  }
  const stored = await replaceCompany(deps, tenantId, row, {
    ...row.value,
    values: JSON.stringify(values),
    base: JSON.stringify({ ...base, ...changes }),
    links: JSON.stringify(nextLinks),
    ...matchKeys(values),
    version,
    updatedAt: at,
  });
  return { company: companyView(stored), changedFields, conflicts: conflictIds, writtenTo };
}

export async function replaceCompany(
  deps: EntityDeps,
  tenantId: string,
  row: Stored<CompanyRow>,
  value: CompanyRow,
): Promise<Stored<CompanyRow>> {
  try {
    const written = await deps.tables.companies.replace(tenantId, row.rowKey, value, row.etag);
    return { ...row, ...written, value };
  } catch (error) {
    if (error instanceof ConflictError)
      throw new DomainError('entity_changed', 'The company changed while this request ran; try again.', {
        id: row.rowKey,
      });
    throw error;
  }
}
