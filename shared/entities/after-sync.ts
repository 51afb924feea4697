import type { Principal } from '../apikeys/principal';
import { isDomainError } from '../errors/domain-error';
import { matchCompanies } from './companies';
import { matchContacts } from './contacts';
import type { EntityDeps } from './entity-deps';
import { companyKind, contactKind } from './kinds';
import { type EntityRowBase, type KindSpec, parse, resyncEntity, sessionsOnce } from './resync';
import { CONTACT_VENDORS } from './sources/contact-sources';
import { COMPANY_VENDORS } from './sources/index';
import type { CompanyLink } from './tables';

/**
 * Automatic resync (docs/entity-sync.md, "Automatic resync"): when a sync run of clients or
 * contacts of an integration finishes, the product has just been read, so its companies or
 * contacts are refreshed too — new records matched, every entity linked to that integration
 * resynced (changes propagate, conflicts are recorded, records gone are unlinked). The sync
 * engine calls this once per finished run; everything in it can be repeated, so a second call
 * (a redelivered last page) publishes nothing new.
 */

export interface AfterSyncRun {
  tenantId: string;
  integrationId: string;
  /** The run's entities (`clients`, `contacts`, `tickets`, `assets`). */
  entities: readonly string[];
  correlationId: string;
}

export interface AfterSyncResult {
  matched: number;
  resynced: number;
  /** Entities whose resync failed (a vendor error, a concurrent change): the next run tries again. */
  failed: number;
}

async function resyncLinked(
  deps: EntityDeps,
  spec: KindSpec<EntityRowBase>,
  run: AfterSyncRun,
  result: AfterSyncResult,
): Promise<void> {
  // One session per product for the whole run, not one per entity and side.
  const sessions = sessionsOnce(deps, run.tenantId, run.correlationId);
  for await (const row of spec.rows(deps.tables).iterate(run.tenantId)) {
    if (row.value.aliasOf || row.value.deletedAt) continue;
    const links = parse<CompanyLink[]>(row.value.links, []);
    if (!links.some((l) => l.integrationId === run.integrationId)) continue;
    try {
      await resyncEntity(deps, spec, run.tenantId, row.rowKey, run.correlationId, sessions);
      result.resynced++;
    } catch (error) {
      // Vendor errors are domain errors too; anything else is a bug and surfaces.
      if (!isDomainError(error)) throw error;
      result.failed++;
      deps.log.warn('entity resync after a sync run failed', { kind: spec.kind, id: row.rowKey });
    }
  }
}

/**
 * Entity sync starts when an admin first matches (`POST /api/v1/entities/companies/match`): until a
 * tenant holds a canonical company, a sync run creates none on its own — no entities, no
 * `company.created` to the tenant's subscribers for products it never asked to join up.
 */
async function entitySyncInUse(deps: EntityDeps, tenantId: string): Promise<boolean> {
  // One row is the answer: a page of one, not the partition's first page.
  return (await deps.tables.companies.list(tenantId, { limit: 1 })).items.length > 0;
}

export async function refreshEntitiesAfterSync(deps: EntityDeps, run: AfterSyncRun): Promise<AfterSyncResult> {
  const result: AfterSyncResult = { matched: 0, resynced: 0, failed: 0 };
  // Runs of tickets or assets touch no entity: not even the one read below.
  if (!run.entities.includes('clients') && !run.entities.includes('contacts')) return result;
  if (!(await entitySyncInUse(deps, run.tenantId))) return result;
  // The hub acting for the tenant: only the tenant id is read (the integrations' list).
  const hub: Principal = { tenantId: run.tenantId, keyId: 'entity-sync', scopes: [] };
  const integration = (await deps.integrations(hub)).find((i) => i.id === run.integrationId);
  if (!integration) return result;
  const only = { integrationId: integration.id };
  if (run.entities.includes('clients') && COMPANY_VENDORS.includes(integration.vendor)) {
    const matched = await matchCompanies(deps, hub, run.correlationId, only);
    result.matched += matched.created + matched.linked;
    await resyncLinked(deps, companyKind as unknown as KindSpec<EntityRowBase>, run, result);
  }
  if (run.entities.includes('contacts') && CONTACT_VENDORS.includes(integration.vendor)) {
    const matched = await matchContacts(deps, hub, run.correlationId, only);
    result.matched += matched.created + matched.linked;
    await resyncLinked(deps, contactKind as unknown as KindSpec<EntityRowBase>, run, result);
  }
  return result;
}
