import type { Principal } from '../apikeys/principal';
import { nowMs } from '../clock/index';
import { DomainError, ValidationError } from '../errors/domain-error';
import type { Stored } from '../storage/table-repository';
import { type CompanyView, companyView } from './companies';
import { type ContactView, contactView } from './contacts';
import type { EntityDeps } from './entity-deps';
import { changeEventKey } from './event-keys';
import { companyKind, contactKind } from './kinds';
import { absorb, type EntityRowBase, type KindSpec, loadRow, parse, readHeld, replaceRow, sameLink } from './resync';
import type { CompanyLink, FieldValues } from './tables';

/**
 * Merging two canonical entities — companies or contacts — a person says are one
 * (docs/entity-sync.md, "Merge"): the loser's links move to the winner and the loser becomes an
 * alias of it. The loser keeps its own links on its row, which is what makes the merge
 * reversible: unmerging moves exactly those back. Each step can be repeated, so a request retried
 * after a crash finishes the same merge. What differs per kind is the `KindSpec` (kinds.ts).
 */

const links = (row: Stored<EntityRowBase>): CompanyLink[] => parse<CompanyLink[]>(row.value.links, []);

async function pointLinks<R extends EntityRowBase>(
  deps: EntityDeps,
  spec: KindSpec<R>,
  tenantId: string,
  moved: CompanyLink[],
  id: string,
) {
  for (const link of moved) await spec.pointLink(deps.tables, tenantId, link, id);
}

async function mergeEntities<R extends EntityRowBase>(
  deps: EntityDeps,
  spec: KindSpec<R>,
  tenantId: string,
  input: { winnerId: string; loserId: string },
): Promise<{ winner: Stored<R>; loser: Stored<R> }> {
  if (input.winnerId === input.loserId)
    throw new ValidationError(`A ${spec.kind} cannot be merged into itself.`, [
      { path: 'loserId', message: 'must differ from winnerId' },
    ]);
  let winner = await loadRow(deps, spec, tenantId, input.winnerId);
  let loser = await loadRow(deps, spec, tenantId, input.loserId);
  if (winner.value.aliasOf)
    throw new DomainError('entity_merged', `The winner is itself merged into another ${spec.kind}.`, {
      id: winner.rowKey,
      aliasOf: winner.value.aliasOf,
    });
  if (loser.value.aliasOf && loser.value.aliasOf !== winner.rowKey)
    throw new DomainError('entity_merged', `This ${spec.kind} is already merged into another ${spec.kind}.`, {
      id: loser.rowKey,
      aliasOf: loser.value.aliasOf,
    });
  const at = new Date(nowMs()).toISOString();
  if (!loser.value.aliasOf)
    loser = await replaceRow(deps, spec, tenantId, loser, { ...loser.value, aliasOf: winner.rowKey, updatedAt: at });
  const winnerLinks = links(winner);
  const moving = links(loser).filter((l) => !winnerLinks.some((w) => sameLink(w, l)));
  if (moving.length > 0) {
    // Values the two disagreed on lose their base: the next resync asks a person.
    const values = parse<FieldValues>(winner.value.values, {});
    const base = parse<FieldValues>(winner.value.base, {});
    absorb(values, base, parse<FieldValues>(loser.value.values, {}), spec.fields);
    const version = winner.value.version + 1;
    await deps.publish(tenantId, {
      ...spec.updated(winner, values, ['links']),
      source: 'hub',
      key: changeEventKey(Date.parse(loser.value.updatedAt), `${winner.rowKey}:merge:${loser.rowKey}`),
    });
    winner = await replaceRow(deps, spec, tenantId, winner, {
      ...winner.value,
      values: JSON.stringify(values),
      base: JSON.stringify(base),
      links: JSON.stringify([...winnerLinks, ...moving]),
      // The loser's read-only products come along with what they held (their keys name the record).
      heldBy: JSON.stringify({ ...readHeld(loser.value), ...readHeld(winner.value) }),
      version,
      updatedAt: at,
    });
  }
  await pointLinks(deps, spec, tenantId, links(loser), winner.rowKey);
  return { winner, loser };
}

/** Reverses a merge: the alias's own links go back to it and it stands on its own again. */
async function unmergeEntity<R extends EntityRowBase>(
  deps: EntityDeps,
  spec: KindSpec<R>,
  tenantId: string,
  id: string,
): Promise<{ entity: Stored<R>; formerWinner: Stored<R> }> {
  let loser = await loadRow(deps, spec, tenantId, id);
  const winnerId = loser.value.aliasOf;
  if (!winnerId) throw new DomainError('entity_not_merged', `This ${spec.kind} is not merged into another.`, { id });
  let winner = await loadRow(deps, spec, tenantId, winnerId);
  const own = links(loser);
  const kept = links(winner).filter((w) => !own.some((l) => sameLink(w, l)));
  const at = new Date(nowMs()).toISOString();
  if (kept.length !== links(winner).length) {
    winner = await replaceRow(deps, spec, tenantId, winner, {
      ...winner.value,
      links: JSON.stringify(kept),
      version: winner.value.version + 1,
      updatedAt: at,
    });
  }
  await pointLinks(deps, spec, tenantId, own, loser.rowKey);
  const { aliasOf: _was, ...standing } = loser.value;
  loser = await replaceRow(deps, spec, tenantId, loser, { ...standing, updatedAt: at } as R);
  return { entity: loser, formerWinner: winner };
}

export async function mergeCompanies(
  deps: EntityDeps,
  caller: Principal,
  input: { winnerId: string; loserId: string },
): Promise<{ winner: CompanyView; loser: CompanyView }> {
  const { winner, loser } = await mergeEntities(deps, companyKind, caller.tenantId, input);
  return { winner: companyView(winner), loser: companyView(loser) };
}

export async function unmergeCompany(
  deps: EntityDeps,
  caller: Principal,
  id: string,
): Promise<{ company: CompanyView; formerWinner: CompanyView }> {
  const { entity, formerWinner } = await unmergeEntity(deps, companyKind, caller.tenantId, id);
  return { company: companyView(entity), formerWinner: companyView(formerWinner) };
}

export async function mergeContacts(
  deps: EntityDeps,
  caller: Principal,
  input: { winnerId: string; loserId: string },
): Promise<{ winner: ContactView; loser: ContactView }> {
  const { winner, loser } = await mergeEntities(deps, contactKind, caller.tenantId, input);
  return { winner: contactView(winner), loser: contactView(loser) };
}

export async function unmergeContact(
  deps: EntityDeps,
  caller: Principal,
  id: string,
): Promise<{ contact: ContactView; formerWinner: ContactView }> {
  const { entity, formerWinner } = await unmergeEntity(deps, contactKind, caller.tenantId, id);
  return { contact: contactView(entity), formerWinner: contactView(formerWinner) };
}
