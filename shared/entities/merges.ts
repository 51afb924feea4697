import type { Principal } from '../apikeys/principal';
import { nowMs } from '../clock/index';
import { DomainError, ValidationError } from '../errors/domain-error';
import type { Stored } from '../storage/table-repository';
import { type CompanyView, companyView, type EntityDeps, linkKey, loadCompany, replaceCompany } from './companies';
import { changeEventKey } from './event-keys';
import { absorb } from './resync';
import { COMPANY_FIELDS, type CompanyLink, type CompanyRow, type CompanyValues } from './tables';

/**
 * Merging two canonical companies a person says are one (docs/entity-sync.md, "Merge"): the
 * loser's links move to the winner and the loser becomes an alias of it. The loser keeps its own
 * links on its row, which is what makes the merge reversible: unmerging moves exactly those back.
 * Each step can be repeated, so a request retried after a crash finishes the same merge.
 */

const links = (row: Stored<CompanyRow>): CompanyLink[] => JSON.parse(row.value.links) as CompanyLink[];
const sameLink = (a: CompanyLink, b: CompanyLink) => a.integrationId === b.integrationId && a.vendorId === b.vendorId;

async function pointLinks(deps: EntityDeps, tenantId: string, moved: CompanyLink[], companyId: string) {
  for (const link of moved)
    await deps.tables.links.upsert(tenantId, linkKey(link.integrationId, link.vendorId), { companyId });
}

export async function mergeCompanies(
  deps: EntityDeps,
  caller: Principal,
  input: { winnerId: string; loserId: string },
): Promise<{ winner: CompanyView; loser: CompanyView }> {
  const tenantId = caller.tenantId;
  if (input.winnerId === input.loserId)
    throw new ValidationError('A company cannot be merged into itself.', [
      { path: 'loserId', message: 'must differ from winnerId' },
    ]);
  let winner = await loadCompany(deps, tenantId, input.winnerId);
  let loser = await loadCompany(deps, tenantId, input.loserId);
  if (winner.value.aliasOf)
    throw new DomainError('entity_merged', 'The winner is itself merged into another company.', {
      id: winner.rowKey,
      aliasOf: winner.value.aliasOf,
    });
  if (loser.value.aliasOf && loser.value.aliasOf !== winner.rowKey)
    throw new DomainError('entity_merged', 'This company is already merged into another company.', {
      id: loser.rowKey,
      aliasOf: loser.value.aliasOf,
    });
  const at = new Date(nowMs()).toISOString();
  if (!loser.value.aliasOf)
    loser = await replaceCompany(deps, tenantId, loser, { ...loser.value, aliasOf: winner.rowKey, updatedAt: at });
  const winnerLinks = links(winner);
  const moving = links(loser).filter((l) => !winnerLinks.some((w) => sameLink(w, l)));
  if (moving.length > 0) {
    // Values the two disagreed on lose their base: the next resync asks a person.
    const values = JSON.parse(winner.value.values) as CompanyValues;
    const base = JSON.parse(winner.value.base) as CompanyValues;
    absorb(values, base, JSON.parse(loser.value.values) as CompanyValues, COMPANY_FIELDS);
    const version = winner.value.version + 1;
    await deps.publish(tenantId, {
      type: 'company.updated',
      data: { companyId: winner.rowKey, name: values.name ?? '', changedFields: ['links'] },
      source: 'hub',
      key: changeEventKey(Date.parse(loser.value.updatedAt), `${winner.rowKey}:merge:${loser.rowKey}`),
    });
    winner = await replaceCompany(deps, tenantId, winner, {
      ...winner.value,
      values: JSON.stringify(values),
      base: JSON.stringify(base),
      links: JSON.stringify([...winnerLinks, ...moving]),
      version,
      updatedAt: at,
    });
  }
  await pointLinks(deps, tenantId, links(loser), winner.rowKey);
  return { winner: companyView(winner), loser: companyView(loser) };
}

/** Reverses a merge: the alias's own links go back to it and it stands on its own again. */
export async function unmergeCompany(
  deps: EntityDeps,
  caller: Principal,
  id: string,
): Promise<{ company: CompanyView; formerWinner: CompanyView }> {
  const tenantId = caller.tenantId;
  let loser = await loadCompany(deps, tenantId, id);
  const winnerId = loser.value.aliasOf;
  if (!winnerId) throw new DomainError('entity_not_merged', 'This company is not merged into another.', { id });
  let winner = await loadCompany(deps, tenantId, winnerId);
  const own = links(loser);
  const kept = links(winner).filter((w) => !own.some((l) => sameLink(w, l)));
  const at = new Date(nowMs()).toISOString();
  if (kept.length !== links(winner).length) {
    const version = winner.value.version + 1;
    winner = await replaceCompany(deps, tenantId, winner, {
      ...winner.value,
      links: JSON.stringify(kept),
      version,
      updatedAt: at,
    });
  }
  await pointLinks(deps, tenantId, own, loser.rowKey);
  const { aliasOf: _was, ...standing } = loser.value;
  loser = await replaceCompany(deps, tenantId, loser, { ...standing, updatedAt: at });
  return { company: companyView(loser), formerWinner: companyView(winner) };
}
