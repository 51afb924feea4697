import type { Principal } from '../apikeys/principal';
import type { Stored } from '../storage/table-repository';
import type { EntityDeps } from './entity-deps';
import { contactKind } from './kinds';
import { type MatchResult, matchRecords } from './match';
import { contactMatchKeys } from './matching';
import { entityView, linkKey, loadRow, parse, readSides, resyncEntity } from './resync';
import type { ProductContact } from './sources/contact-source';
import { CONTACT_VENDORS, contactSourceFor } from './sources/contact-sources';
import type { CompanyLink, ContactRow, ContactValues } from './tables';

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
  return entityView<ContactValues, { companyId: string }>(row, { companyId: row.value.companyId });
}

/** A product contact's canonical company: its product company's link, followed to where it points. */
async function canonicalCompany(deps: EntityDeps, tenantId: string, integrationId: string, companyVendorId?: string) {
  if (companyVendorId === undefined) return '';
  const link = await deps.tables.links.get(tenantId, linkKey(integrationId, companyVendorId));
  return link?.value.companyId ?? '';
}

/**
 * Contacts match on their e-mail address, or on their normalised name within the same canonical
 * company (docs/entity-sync.md, "Contacts"). Companies are matched first
 * (`POST /api/v1/entities/companies/match`) so contacts can find theirs.
 */
export function matchContacts(
  deps: EntityDeps,
  caller: Principal,
  correlationId: string,
  only?: { integrationId: string },
): Promise<MatchResult> {
  const tenantId = caller.tenantId;
  return matchRecords(
    deps,
    {
      spec: contactKind,
      vendors: CONTACT_VENDORS,
      list: (vendor) => contactSourceFor(vendor)?.list,
      links: deps.tables.contactLinks,
      linkValue: (contactId) => ({ contactId }),
      idPrefix: 'p',
      context: (product: ProductContact, integrationId) =>
        canonicalCompany(deps, tenantId, integrationId, product.companyVendorId),
      candidate: (standing, product, companyId) => {
        const keys = contactMatchKeys(product.values);
        return (
          (keys.matchEmail !== '' ? standing.find((c) => c.value.matchEmail === keys.matchEmail) : undefined) ??
          (keys.matchName !== '' && companyId !== ''
            ? standing.find((c) => c.value.companyId === companyId && c.value.matchName === keys.matchName)
            : undefined)
        );
      },
      joined: (row, companyId) => ({ companyId: row.companyId || companyId }),
      fresh: (companyId) => ({ companyId }),
      created: (id, product, companyId) => ({
        type: 'contact.created',
        data: { contactId: id, name: product.values.name ?? '', companyId },
      }),
    },
    caller,
    correlationId,
    only,
  );
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
  const { row, ...done } = await resyncEntity(deps, contactKind, caller.tenantId, id, correlationId);
  return { contact: contactView(row), ...done };
}
