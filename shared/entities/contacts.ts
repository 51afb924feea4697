import type { Principal } from '../apikeys/principal';
import { nowMs } from '../clock/index';
import type { Stored } from '../storage/table-repository';
import type { EntityDeps } from './entity-deps';
import { stableId } from './event-keys';
import { contactKind } from './kinds';
import { contactMatchKeys } from './matching';
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
import { CONTACT_VENDORS, contactSourceFor } from './sources/contact-sources';
import { CONTACT_FIELDS, type CompanyLink, type ContactRow, type ContactValues } from './tables';

/**
 * Canonical contacts (docs/entity-sync.md, "Contacts"): a person Halo PSA keeps as a user and
 * Autotask as a contact is one contact in the hub, linked to each product's record and to the
 * canonical company those records belong to. Resync, conflicts and resolve are the companies'
 * (shared/entities/resync.ts); matching is the contacts' own.
 */

export interface ContactView {
  id: string;
  name: string;
  values: ContactValues;
  /** The canonical company ('' when none of its products' companies is linked yet). */
  companyId: string;
  links: CompanyLink[];
  possibleDuplicateOf?: string;
  /** Set when this contact lost a merge: the contact it was merged into. */
  aliasOf?: string;
  deletedAt?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function contactView(row: Stored<ContactRow>): ContactView {
  const values = parse<ContactValues>(row.value.values, {});
  return {
    id: row.rowKey,
    name: values.name ?? '',
    values,
    companyId: row.value.companyId,
    links: parse<CompanyLink[]>(row.value.links, []),
    ...(row.value.possibleDuplicateOf ? { possibleDuplicateOf: row.value.possibleDuplicateOf } : {}),
    ...(row.value.aliasOf ? { aliasOf: row.value.aliasOf } : {}),
    ...(row.value.deletedAt ? { deletedAt: row.value.deletedAt } : {}),
    version: row.value.version,
    createdAt: row.value.createdAt,
    updatedAt: row.value.updatedAt,
  };
}

export interface ContactMatchResult {
  created: number;
  linked: number;
  flagged: number;
  alreadyLinked: number;
}

/** A product contact's canonical company: its product company's link, followed to where it points. */
async function canonicalCompany(deps: EntityDeps, tenantId: string, integrationId: string, companyVendorId?: string) {
  if (companyVendorId === undefined) return '';
  const link = await deps.tables.links.get(tenantId, linkKey(integrationId, companyVendorId));
  return link?.value.companyId ?? '';
}

/**
 * Reads every contact of every contact-holding integration and gives each a canonical contact: a
 * record already linked (its external id) stays; otherwise the first contact with the same
 * e-mail address, or with the same normalised name in the same canonical company, takes the link
 * — unless it already holds a record of the same integration, which makes this one a new contact
 * flagged `possibleDuplicateOf` (never merged automatically). Companies are matched first
 * (`POST /api/v1/entities/companies/match`) so contacts can find theirs.
 */
export async function matchContacts(
  deps: EntityDeps,
  caller: Principal,
  correlationId: string,
  only?: { integrationId: string },
): Promise<ContactMatchResult> {
  const tenantId = caller.tenantId;
  const result: ContactMatchResult = { created: 0, linked: 0, flagged: 0, alreadyLinked: 0 };
  const contacts = new Map<string, Stored<ContactRow>>();
  for await (const row of deps.tables.contacts.iterate(tenantId)) contacts.set(row.rowKey, row);
  const integrations = (await deps.integrations(caller)).filter(
    (i) => CONTACT_VENDORS.includes(i.vendor) && (only === undefined || i.id === only.integrationId),
  );
  for (const integration of integrations) {
    const source = contactSourceFor(integration.vendor);
    if (!source) continue;
    const { session } = await deps.openSession(tenantId, integration.id, correlationId);
    const at = new Date(nowMs()).toISOString();
    for (const product of await source.list(session)) {
      const key = linkKey(integration.id, product.vendorId);
      if (await deps.tables.contactLinks.get(tenantId, key)) {
        result.alreadyLinked++;
        continue;
      }
      const holds = (c: Stored<ContactRow>) =>
        parse<CompanyLink[]>(c.value.links, []).some(
          (l) => l.integrationId === integration.id && l.vendorId === product.vendorId,
        );
      // A match that crashed between a contact's row and its link row: the contact already holds it.
      const holder = [...contacts.values()].find(holds);
      if (holder) {
        await insertOnce(deps.tables.contactLinks, tenantId, key, { contactId: holder.rowKey });
        result.alreadyLinked++;
        continue;
      }
      const companyId = await canonicalCompany(deps, tenantId, integration.id, product.companyVendorId);
      const keys = contactMatchKeys(product.values);
      const link: CompanyLink = {
        integrationId: integration.id,
        vendor: integration.vendor,
        vendorId: product.vendorId,
        lastSyncedAt: at,
      };
      const standing = [...contacts.values()].filter((c) => !c.value.aliasOf && !c.value.deletedAt);
      const candidate =
        (keys.matchEmail !== '' ? standing.find((c) => c.value.matchEmail === keys.matchEmail) : undefined) ??
        (keys.matchName !== '' && companyId !== ''
          ? standing.find((c) => c.value.companyId === companyId && c.value.matchName === keys.matchName)
          : undefined);
      const candidateLinks = candidate ? parse<CompanyLink[]>(candidate.value.links, []) : [];
      if (candidate && !candidateLinks.some((l) => l.integrationId === integration.id)) {
        const values = parse<ContactValues>(candidate.value.values, {});
        const base = parse<ContactValues>(candidate.value.base, {});
        absorb(values, base, product.values, CONTACT_FIELDS);
        const updated = await replaceRow(deps, contactKind, tenantId, candidate, {
          ...candidate.value,
          values: JSON.stringify(values),
          base: JSON.stringify(base),
          links: JSON.stringify([...candidateLinks, link]),
          companyId: candidate.value.companyId || companyId,
          updatedAt: at,
        });
        contacts.set(candidate.rowKey, updated);
        await insertOnce(deps.tables.contactLinks, tenantId, key, { contactId: candidate.rowKey });
        result.linked++;
        continue;
      }
      // A new contact; its id follows from its first link, so a retried match makes the same one.
      const id = stableId('p', tenantId, key);
      const fresh: ContactRow = {
        values: JSON.stringify(product.values),
        base: JSON.stringify(product.values),
        links: JSON.stringify([link]),
        ...keys,
        companyId,
        ...(candidate ? { possibleDuplicateOf: candidate.rowKey } : {}),
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      const stored = await createOrRevive(deps, contactKind, tenantId, id, fresh, {
        type: 'contact.created',
        data: { contactId: id, name: product.values.name ?? '', companyId },
        source: integration.vendor,
      });
      contacts.set(id, stored);
      await insertOnce(deps.tables.contactLinks, tenantId, key, { contactId: id });
      result.created++;
      if (candidate) result.flagged++;
    }
  }
  return result;
}

export async function listContacts(
  deps: EntityDeps,
  caller: Principal,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: ContactView[]; nextCursor: string | null }> {
  const page = await deps.tables.contacts.list(caller.tenantId, { limit: query.limit, cursor: query.cursor ?? null });
  return { items: page.items.map(contactView), nextCursor: page.nextCursor };
}

export async function getContact(deps: EntityDeps, caller: Principal, id: string): Promise<ContactView> {
  return contactView(await loadRow(deps, contactKind, caller.tenantId, id));
}

/** Each linked product's values of a contact now, beside the hub's and the base (nothing written). */
export async function compareContact(deps: EntityDeps, caller: Principal, id: string, correlationId: string) {
  const row = await loadRow(deps, contactKind, caller.tenantId, id);
  const view = contactView(row);
  return {
    contact: view,
    base: parse<ContactValues>(row.value.base, {}),
    products: await readSides(deps, contactKind, caller.tenantId, view.links, correlationId),
  };
}

/** One contact now: the companies' resync (three-way, write-back, conflicts, unlink, delete). */
export async function resyncContact(deps: EntityDeps, caller: Principal, id: string, correlationId: string) {
  const done = await resyncEntity(deps, contactKind, caller.tenantId, id, correlationId);
  return {
    contact: contactView(done.row),
    changedFields: done.changedFields,
    conflicts: done.conflicts,
    writtenTo: done.writtenTo,
    unlinked: done.unlinked,
    deleted: done.deleted,
  };
}
