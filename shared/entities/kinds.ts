import { contactMatchKeys, matchKeys } from './matching';
import { type KindSpec, linkKey } from './resync';
import { contactSourceFor } from './sources/contact-sources';
import { companySourceFor } from './sources/index';
import { COMPANY_FIELDS, CONTACT_FIELDS, type CompanyRow, type ContactRow, type EntityKind } from './tables';

/**
 * The two kinds of canonical entity (docs/entity-sync.md): where each lives, which products hold
 * it and what it publishes. The resync, conflict and resolve code is shared and reads these.
 */

export const companyKind: KindSpec<CompanyRow> = {
  kind: 'company',
  fields: COMPANY_FIELDS,
  rows: (tables) => tables.companies,
  async unlink(tables, tenantId, link) {
    await tables.links.delete(tenantId, linkKey(link.integrationId, link.vendorId));
  },
  async pointLink(tables, tenantId, link, companyId) {
    await tables.links.upsert(tenantId, linkKey(link.integrationId, link.vendorId), { companyId });
  },
  sourceFor: companySourceFor,
  keys: (values) => matchKeys(values),
  updated: (row, values, changedFields) => ({
    type: 'company.updated',
    data: { companyId: row.rowKey, name: values.name ?? '', changedFields },
  }),
  deleted: (row, values) => ({ type: 'company.deleted', data: { companyId: row.rowKey, name: values.name ?? '' } }),
};

export const contactKind: KindSpec<ContactRow> = {
  kind: 'contact',
  fields: CONTACT_FIELDS,
  rows: (tables) => tables.contacts,
  async unlink(tables, tenantId, link) {
    await tables.contactLinks.delete(tenantId, linkKey(link.integrationId, link.vendorId));
  },
  async pointLink(tables, tenantId, link, contactId) {
    await tables.contactLinks.upsert(tenantId, linkKey(link.integrationId, link.vendorId), { contactId });
  },
  sourceFor: contactSourceFor,
  keys: (values) => contactMatchKeys(values),
  updated: (row, values, changedFields) => ({
    type: 'contact.updated',
    data: { contactId: row.rowKey, name: values.name ?? '', companyId: row.value.companyId, changedFields },
  }),
  deleted: (row, values) => ({
    type: 'contact.deleted',
    data: { contactId: row.rowKey, name: values.name ?? '', companyId: row.value.companyId },
  }),
};

export function kindSpec(kind: EntityKind): KindSpec<CompanyRow> | KindSpec<ContactRow> {
  return kind === 'contact' ? contactKind : companyKind;
}
