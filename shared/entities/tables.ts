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
 * - `conflicts`: RowKey = conflict id (deterministic from company, field and the values seen, so a
 *   repeated resync records the same conflict once).
 */

export const COMPANY_FIELDS = ['name', 'phone', 'website'] as const;
export type CompanyField = (typeof COMPANY_FIELDS)[number];
export type CompanyValues = Partial<Record<CompanyField, string>>;

export const companyLinkSchema = z.object({
  integrationId: z.string(),
  vendor: z.string(),
  vendorId: z.string(),
  lastSyncedAt: z.string(),
});
export type CompanyLink = z.infer<typeof companyLinkSchema>;

export const companyRowSchema = z.object({
  /** JSON CompanyValues: the hub's current values. */
  values: z.string(),
  /** JSON CompanyValues: the value all linked products agreed on at the last sync, per field. */
  base: z.string(),
  /** JSON CompanyLink[]. */
  links: z.string(),
  /** Normalised name and domain, the matching keys. */
  matchName: z.string(),
  matchDomain: z.string(),
  /** Another company that looks the same (flagged, never merged automatically). */
  possibleDuplicateOf: z.string().optional(),
  /** Set when this company lost a merge: it is an alias of the winner. */
  aliasOf: z.string().optional(),
  /** Bumped on every change; the change's event id derives from it. */
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CompanyRow = z.infer<typeof companyRowSchema>;

export const entityLinkRowSchema = z.object({ companyId: z.string() });
export type EntityLinkRow = z.infer<typeof entityLinkRowSchema>;

export const conflictRowSchema = z.object({
  companyId: z.string(),
  field: z.enum(COMPANY_FIELDS),
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
}

let cached: { account: StorageAccount; tables: EntityTables } | undefined;

export function entityTables(account: StorageAccount): EntityTables {
  if (cached?.account === account) return cached.tables;
  const tables: EntityTables = {
    companies: new TableRepository(account, 'entities', companyRowSchema),
    links: new TableRepository(account, 'entitylinks', entityLinkRowSchema),
    conflicts: new TableRepository(account, 'conflicts', conflictRowSchema),
  };
  cached = { account, tables };
  return tables;
}
