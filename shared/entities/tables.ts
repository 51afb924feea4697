import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { TableRepository } from '../storage/table-repository';

/**
 * Entity sync's tables (docs/entity-sync.md, "Storage"), all partitioned by tenant:
 *
 * - `entities`: RowKey = canonical company id. The hub's one company: its values, the per-field
 *   base (the value every product held at the last sync, for three-way comparison) and its links.
 * - `entitylinks`: RowKey = integration|vendor id → the company it belongs to. Matching by external
 *   id is one point read, and a product record can belong to one company only.
 * - `conflicts`: RowKey = conflict id (deterministic from the entity, field and the values seen, so
 *   a repeated resync records the same conflict once). A conflict is of a company or a contact.
 * - `entitycontacts`: RowKey = canonical contact id; the same parts as a company plus the
 *   canonical company the contact belongs to (through its products' company links).
 * - `contactlinks`: RowKey = integration|vendor id → the contact it belongs to (a product's
 *   contact ids and company ids are separate number ranges, so contacts keep their own links).
 */

export const COMPANY_FIELDS = ['name', 'phone', 'website'] as const;
export type CompanyField = (typeof COMPANY_FIELDS)[number];
export type CompanyValues = Partial<Record<CompanyField, string>>;

/** A contact's canonical fields: the name is first and last name together, as products show it. */
export const CONTACT_FIELDS = ['name', 'email', 'phone'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];
export type ContactValues = Partial<Record<ContactField, string>>;

/** Any entity's values, for the code companies and contacts share (three-way, write-back). */
export type FieldValues = Partial<Record<string, string>>;
export const ENTITY_KINDS = ['company', 'contact'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export const companyLinkSchema = z.object({
  integrationId: z.string(),
  vendor: z.string(),
  vendorId: z.string(),
  lastSyncedAt: z.string(),
});
export type CompanyLink = z.infer<typeof companyLinkSchema>;

/** The columns every canonical entity has; companies and contacts add their matching keys. */
const entityRowSchema = z.object({
  /** JSON FieldValues: the hub's current values. */
  values: z.string(),
  /** JSON FieldValues: the value all linked products agreed on at the last sync, per field. */
  base: z.string(),
  /** JSON CompanyLink[]: the entity's product records. */
  links: z.string(),
  /** Another entity that looks the same (flagged, never merged automatically). */
  possibleDuplicateOf: z.string().optional(),
  /** Set when this entity lost a merge: it is an alias of the winner. */
  aliasOf: z.string().optional(),
  /** JSON {integration|vendor id: values}: what each read-only product held at the last sync. */
  heldBy: z.string().optional(),
  /** Set when no product holds the entity any more (every link was removed by a resync). */
  deletedAt: z.string().optional(),
  /** Bumped on every change; the change's event id derives from it. */
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const companyRowSchema = entityRowSchema.extend({
  /** Normalised name and domain, the matching keys. */
  matchName: z.string(),
  matchDomain: z.string(),
});
export type CompanyRow = z.infer<typeof companyRowSchema>;

export const contactRowSchema = entityRowSchema.extend({
  /** Normalised e-mail and name, the matching keys after the external id. */
  matchEmail: z.string(),
  matchName: z.string(),
  /** The canonical company the contact's product records belong to ('' when none is linked yet). */
  companyId: z.string(),
});
export type ContactRow = z.infer<typeof contactRowSchema>;

export const contactLinkRowSchema = z.object({ contactId: z.string() });
export type ContactLinkRow = z.infer<typeof contactLinkRowSchema>;

export const entityLinkRowSchema = z.object({ companyId: z.string() });
export type EntityLinkRow = z.infer<typeof entityLinkRowSchema>;

export const conflictRowSchema = z.object({
  /** Absent on conflicts recorded before contacts: those are all of companies. */
  kind: z.enum(ENTITY_KINDS).optional(),
  /** The company's id, or the contact's id when `kind` is `contact`. */
  companyId: z.string(),
  field: z.enum(['name', 'phone', 'website', 'email']),
  /** The base value both sides moved away from ('' when there was none). */
  base: z.string(),
  /** JSON [{integrationId, vendor, value}]: each linked product's value. */
  versions: z.string(),
  status: z.enum(['open', 'resolved']),
  resolvedValue: z.string().optional(),
  resolvedAt: z.string().optional(),
  createdAt: z.string(),
});
export type ConflictRow = z.infer<typeof conflictRowSchema>;

export interface EntityTables {
  companies: TableRepository<CompanyRow>;
  links: TableRepository<EntityLinkRow>;
  conflicts: TableRepository<ConflictRow>;
  contacts: TableRepository<ContactRow>;
  contactLinks: TableRepository<ContactLinkRow>;
}

let cached: { account: StorageAccount; tables: EntityTables } | undefined;

export function entityTables(account: StorageAccount): EntityTables {
  if (cached?.account === account) return cached.tables;
  const tables: EntityTables = {
    companies: new TableRepository(account, 'entities', companyRowSchema),
    links: new TableRepository(account, 'entitylinks', entityLinkRowSchema),
    conflicts: new TableRepository(account, 'conflicts', conflictRowSchema),
    contacts: new TableRepository(account, 'entitycontacts', contactRowSchema),
    contactLinks: new TableRepository(account, 'contactlinks', contactLinkRowSchema),
  };
  cached = { account, tables };
  return tables;
}
