import type { Principal } from '../apikeys/principal';
import { nowMs } from '../clock/index';
import type { Stored } from '../storage/table-repository';
import type { EntityDeps } from './entity-deps';
import { stableId } from './event-keys';
import { companyKind } from './kinds';
import { matchKeys, sameCompany } from './matching';
import {
  absorb,
  createOrRevive,
  insertOnce,
  linkKey,
  loadRow,
  parse,
  readSides,
  replaceRow,
  resyncEntity,
} from './resync';
import { COMPANY_VENDORS, companySourceFor } from './sources/index';
import { COMPANY_FIELDS, type CompanyLink, type CompanyRow, type CompanyValues } from './tables';

export type { CompanyEvent, ContactEvent, EntityDeps, EntityEvent } from './entity-deps';

export interface CompanyView {
  id: string;
  name: string;
  values: CompanyValues;
  links: CompanyLink[];
  possibleDuplicateOf?: string;
  aliasOf?: string;
  /** When no product held the company any more. */
  deletedAt?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type { ComparedProduct } from './resync';
export { linkKey };

export function companyView(row: Stored<CompanyRow>): CompanyView {
  const values = parse<CompanyValues>(row.value.values, {});
  return {
    id: row.rowKey,
    name: values.name ?? '',
    values,
    links: parse<CompanyLink[]>(row.value.links, []),
    ...(row.value.possibleDuplicateOf ? { possibleDuplicateOf: row.value.possibleDuplicateOf } : {}),
    ...(row.value.aliasOf ? { aliasOf: row.value.aliasOf } : {}),
    ...(row.value.deletedAt ? { deletedAt: row.value.deletedAt } : {}),
    version: row.value.version,
    createdAt: row.value.createdAt,
    updatedAt: row.value.updatedAt,
  };
}

export function loadCompany(deps: EntityDeps, tenantId: string, id: string): Promise<Stored<CompanyRow>> {
  return loadRow(deps, companyKind, tenantId, id);
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
export async function matchCompanies(
  deps: EntityDeps,
  caller: Principal,
  correlationId: string,
  only?: { integrationId: string },
): Promise<MatchResult> {
  const tenantId = caller.tenantId;
  const result: MatchResult = { created: 0, linked: 0, flagged: 0, alreadyLinked: 0 };
  const companies = new Map<string, Stored<CompanyRow>>();
  for await (const row of deps.tables.companies.iterate(tenantId)) companies.set(row.rowKey, row);
  const integrations = (await companyIntegrations(deps, caller)).filter(
    (i) => only === undefined || i.id === only.integrationId,
  );
  for (const integration of integrations) {
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
      const candidate = [...companies.values()].find(
        (c) => !c.value.aliasOf && !c.value.deletedAt && sameCompany(c.value, keys),
      );
      const candidateLinks = candidate ? parse<CompanyLink[]>(candidate.value.links, []) : [];
      if (candidate && !candidateLinks.some((l) => l.integrationId === integration.id)) {
        const values = parse<CompanyValues>(candidate.value.values, {});
        const base = parse<CompanyValues>(candidate.value.base, {});
        absorb(values, base, product.values, COMPANY_FIELDS);
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
      const stored = await createOrRevive(deps, companyKind, tenantId, id, row, {
        type: 'company.created',
        data: { companyId: id, name: product.values.name ?? '' },
        source: integration.vendor,
      });
      companies.set(id, stored);
      await insertLink(deps, tenantId, key, id);
      result.created++;
      if (candidate) result.flagged++;
    }
  }
  return result;
}

async function insertLink(deps: EntityDeps, tenantId: string, key: string, companyId: string): Promise<void> {
  await insertOnce(deps.tables.links, tenantId, key, { companyId });
}

export async function listCompanies(
  deps: EntityDeps,
  caller: Principal,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: CompanyView[]; nextCursor: string | null }> {
  const page = await deps.tables.companies.list(caller.tenantId, { limit: query.limit, cursor: query.cursor ?? null });
  return { items: page.items.map(companyView), nextCursor: page.nextCursor };
}

/** Each linked product's values now, beside the hub's and the base (read live, nothing written). */
export async function compareCompany(deps: EntityDeps, caller: Principal, id: string, correlationId: string) {
  const row = await loadCompany(deps, caller.tenantId, id);
  const view = companyView(row);
  return {
    company: view,
    base: parse<CompanyValues>(row.value.base, {}),
    products: await readSides(deps, companyKind, caller.tenantId, view.links, correlationId),
  };
}

export interface ResyncResult {
  company: CompanyView;
  changedFields: string[];
  conflicts: string[];
  writtenTo: string[];
  /** Integrations that no longer hold the company: their links were removed. */
  unlinked: string[];
  /** True when the last link went: the company is deleted (`company.deleted` published once). */
  deleted: boolean;
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
  const done = await resyncEntity(deps, companyKind, caller.tenantId, id, correlationId);
  return {
    company: companyView(done.row),
    changedFields: done.changedFields,
    conflicts: done.conflicts,
    writtenTo: done.writtenTo,
    unlinked: done.unlinked,
    deleted: done.deleted,
  };
}

export function replaceCompany(
  deps: EntityDeps,
  tenantId: string,
  row: Stored<CompanyRow>,
  value: CompanyRow,
): Promise<Stored<CompanyRow>> {
  return replaceRow(deps, companyKind, tenantId, row, value);
}
