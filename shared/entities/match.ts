import type { Principal } from '../apikeys/principal';
import { nowMs } from '../clock/index';
import type { Stored, TableRepository } from '../storage/table-repository';
import type { VendorSession } from '../vendors/contract';
import type { EntityDeps, EntityEvent } from './entity-deps';
import { stableId } from './event-keys';
import {
  absorb,
  createOrRevive,
  type EntityRowBase,
  insertOnce,
  type KindSpec,
  linkKey,
  parse,
  replaceRow,
} from './resync';
import type { CompanyLink, FieldValues } from './tables';

/**
 * Matching product records to canonical entities (docs/entity-sync.md, "Matching"), the same walk
 * for companies and contacts: a record already linked (its external id) stays where it is; a
 * record some entity already holds without its link row (a match that crashed between the two) gets
 * the link row; otherwise the kind's rule picks a candidate, which takes the link unless it already
 * holds a record of the same integration — then the record becomes a new entity flagged
 * `possibleDuplicateOf`, never merged automatically. A field two linked records disagree on gets no
 * base, so the next resync asks a person instead of letting either win. A new entity's id follows
 * from its first link, so a retried match makes the same one.
 */

export interface MatchResult {
  created: number;
  linked: number;
  flagged: number;
  alreadyLinked: number;
}

/** What a kind adds to the shared walk; `C` is what it learns about one product record first. */
export interface MatchRules<
  R extends EntityRowBase,
  P extends { vendorId: string; values: FieldValues },
  C,
  L extends Record<string, unknown>,
> {
  spec: KindSpec<R>;
  vendors: readonly string[];
  list(vendor: string): ((session: VendorSession<unknown, unknown>) => Promise<P[]>) | undefined;
  links: TableRepository<L>;
  linkValue(entityId: string): L;
  /** The first letter of a new entity's id. */
  idPrefix: string;
  context(product: P, integrationId: string): Promise<C>;
  /** The entity the record belongs with, among those neither merged away nor deleted. */
  candidate(standing: Stored<R>[], product: P, context: C): Stored<R> | undefined;
  /** Columns beyond values, base and links: of the entity taking the link, and of a new one. */
  joined(row: R, context: C): Partial<R>;
  fresh(context: C): Partial<R>;
  created(id: string, product: P, context: C): EntityEvent;
}

export async function matchRecords<
  R extends EntityRowBase,
  P extends { vendorId: string; values: FieldValues },
  C,
  L extends Record<string, unknown>,
>(
  deps: EntityDeps,
  rules: MatchRules<R, P, C, L>,
  caller: Principal,
  correlationId: string,
  only?: { integrationId: string },
): Promise<MatchResult> {
  const { spec } = rules;
  const tenantId = caller.tenantId;
  const result: MatchResult = { created: 0, linked: 0, flagged: 0, alreadyLinked: 0 };
  const entities = new Map<string, Stored<R>>();
  // Link key → the first entity whose row lists it, so finding a record's holder is no scan.
  const holders = new Map<string, string>();
  const keep = (row: Stored<R>) => {
    entities.set(row.rowKey, row);
    for (const l of parse<CompanyLink[]>(row.value.links, [])) {
      const held = linkKey(l.integrationId, l.vendorId);
      if (!holders.has(held)) holders.set(held, row.rowKey);
    }
  };
  for await (const row of spec.rows(deps.tables).iterate(tenantId)) keep(row);
  const integrations = (await deps.integrations(caller)).filter(
    (i) => rules.vendors.includes(i.vendor) && (only === undefined || i.id === only.integrationId),
  );
  for (const integration of integrations) {
    const list = rules.list(integration.vendor);
    if (!list) continue;
    const { session } = await deps.openSession(tenantId, integration.id, correlationId);
    const at = new Date(nowMs()).toISOString();
    for (const product of await list(session)) {
      const key = linkKey(integration.id, product.vendorId);
      if (await rules.links.get(tenantId, key)) {
        result.alreadyLinked++;
        continue;
      }
      const holder = holders.get(key);
      if (holder !== undefined) {
        await insertOnce(rules.links, tenantId, key, rules.linkValue(holder));
        result.alreadyLinked++;
        continue;
      }
      const context = await rules.context(product, integration.id);
      const keys = spec.keys(product.values);
      const link: CompanyLink = {
        integrationId: integration.id,
        vendor: integration.vendor,
        vendorId: product.vendorId,
        lastSyncedAt: at,
      };
      const standing = [...entities.values()].filter((e) => !e.value.aliasOf && !e.value.deletedAt);
      const candidate = rules.candidate(standing, product, context);
      const candidateLinks = candidate ? parse<CompanyLink[]>(candidate.value.links, []) : [];
      if (candidate && !candidateLinks.some((l) => l.integrationId === integration.id)) {
        const values = parse<FieldValues>(candidate.value.values, {});
        const base = parse<FieldValues>(candidate.value.base, {});
        absorb(values, base, product.values, spec.fields);
        const updated = await replaceRow(deps, spec, tenantId, candidate, {
          ...candidate.value,
          values: JSON.stringify(values),
          base: JSON.stringify(base),
          links: JSON.stringify([...candidateLinks, link]),
          ...rules.joined(candidate.value, context),
          updatedAt: at,
        });
        keep(updated);
        await insertOnce(rules.links, tenantId, key, rules.linkValue(candidate.rowKey));
        result.linked++;
        continue;
      }
      const id = stableId(rules.idPrefix, tenantId, key);
      const row = {
        values: JSON.stringify(product.values),
        base: JSON.stringify(product.values),
        links: JSON.stringify([link]),
        ...keys,
        ...rules.fresh(context),
        ...(candidate ? { possibleDuplicateOf: candidate.rowKey } : {}),
        version: 1,
        createdAt: at,
        updatedAt: at,
      } as R;
      const stored = await createOrRevive(deps, spec, tenantId, id, row, {
        ...rules.created(id, product, context),
        source: integration.vendor,
      });
      keep(stored);
      await insertOnce(rules.links, tenantId, key, rules.linkValue(id));
      result.created++;
      if (candidate) result.flagged++;
    }
  }
  return result;
}
