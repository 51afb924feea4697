import type { Principal } from '../apikeys/principal';
import type { Stored } from '../storage/table-repository';
import type { EntityDeps } from './entity-deps';
import { companyKind } from './kinds';
import { type MatchResult, matchRecords } from './match';
import { matchKeys, sameCompany } from './matching';
import { entityView, loadRow, parse, readSides, resyncEntity } from './resync';
import { COMPANY_VENDORS, companySourceFor } from './sources/index';
import type { CompanyLink, CompanyRow, CompanyValues } from './tables';

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

export function companyView(row: Stored<CompanyRow>): CompanyView {
  return entityView<CompanyValues>(row);
}

/** Companies match on their normalised name or web domain (docs/entity-sync.md, "Matching"). */
export function matchCompanies(
  deps: EntityDeps,
  caller: Principal,
  correlationId: string,
  only?: { integrationId: string },
): Promise<MatchResult> {
  return matchRecords(
    deps,
    {
      spec: companyKind,
      vendors: COMPANY_VENDORS,
      list: (vendor) => companySourceFor(vendor)?.list,
      links: deps.tables.links,
      linkValue: (companyId) => ({ companyId }),
      idPrefix: 'c',
      context: async () => undefined,
      candidate: (standing, product) => {
        const keys = matchKeys(product.values);
        return standing.find((c) => sameCompany(c.value, keys));
      },
      joined: () => ({}),
      fresh: () => ({}),
      created: (id, product) => ({ type: 'company.created', data: { companyId: id, name: product.values.name ?? '' } }),
    },
    caller,
    correlationId,
    only,
  );
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
  const row = await loadRow(deps, companyKind, caller.tenantId, id);
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
  const { row, ...done } = await resyncEntity(deps, companyKind, caller.tenantId, id, correlationId);
  return { company: companyView(row), ...done };
}
