import { z } from 'zod';
import { COMPANY_FIELDS, CONTACT_FIELDS, ENTITY_KINDS } from './tables';

/** HTTP shapes of the entity sync routes (docs/entity-sync.md, docs/api.md "Entity sync"). */

const id = z.string().regex(/^[a-z0-9]{1,64}$/, 'an id this API gave out');

export const companyIdParams = z.strictObject({ id });
export const conflictIdParams = z.strictObject({ id });
export const contactIdParams = z.strictObject({ id });

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(4096).optional(),
});

export const conflictListQuery = pageQuery.extend({ status: z.enum(['open', 'resolved']).optional() });

const values = z
  .object(
    Object.fromEntries(COMPANY_FIELDS.map((f) => [f, z.string().optional()])) as Record<
      (typeof COMPANY_FIELDS)[number],
      z.ZodOptional<z.ZodString>
    >,
  )
  .meta({ id: 'CompanyValues' });

const link = z.object({
  integrationId: z.string(),
  vendor: z.string(),
  vendorId: z.string(),
  lastSyncedAt: z.string(),
});

export const companySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    values,
    links: z.array(link),
    possibleDuplicateOf: z.string().optional(),
    aliasOf: z.string().optional(),
    deletedAt: z.string().optional().meta({ description: 'Set when no product holds the company any more.' }),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'EntityCompany' });

export const companyListSchema = z.object({ items: z.array(companySchema), nextCursor: z.string().nullable() });

export const matchResultSchema = z.object({
  created: z.number().int(),
  linked: z.number().int(),
  flagged: z.number().int(),
  alreadyLinked: z.number().int(),
});

export const compareSchema = z.object({
  company: companySchema,
  base: values,
  products: z.array(link.extend({ found: z.boolean(), values })),
});

export const mergeBody = z
  .strictObject({ winnerId: id, loserId: id })
  .meta({ id: 'MergeCompanies', description: 'The loser’s links move to the winner; the loser becomes its alias.' });

export const mergeResultSchema = z.object({ winner: companySchema, loser: companySchema });
export const unmergeResultSchema = z.object({ company: companySchema, formerWinner: companySchema });

const contactValues = z
  .object(
    Object.fromEntries(CONTACT_FIELDS.map((f) => [f, z.string().optional()])) as Record<
      (typeof CONTACT_FIELDS)[number],
      z.ZodOptional<z.ZodString>
    >,
  )
  .meta({ id: 'ContactValues' });

export const contactSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    values: contactValues,
    companyId: z.string().meta({ description: 'The canonical company; empty when none of its companies is linked.' }),
    links: z.array(link),
    possibleDuplicateOf: z.string().optional(),
    aliasOf: z
      .string()
      .optional()
      .meta({ description: 'Set when this contact lost a merge: the contact it was merged into.' }),
    deletedAt: z.string().optional().meta({ description: 'Set when no product holds the contact any more.' }),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'EntityContact' });

export const contactMergeResultSchema = z.object({ winner: contactSchema, loser: contactSchema });
export const contactUnmergeResultSchema = z.object({ contact: contactSchema, formerWinner: contactSchema });

export const contactListSchema = z.object({ items: z.array(contactSchema), nextCursor: z.string().nullable() });

export const compareContactSchema = z.object({
  contact: contactSchema,
  base: contactValues,
  products: z.array(link.extend({ found: z.boolean(), values: contactValues })),
});

export const resyncBody = z
  .strictObject({ entity: z.enum(ENTITY_KINDS), id })
  .meta({ id: 'EntityResync', description: 'One canonical entity to sync now.' });

export const resyncResultSchema = z.object({
  company: companySchema.optional().meta({ description: 'The company, when `entity` was `company`.' }),
  contact: contactSchema.optional().meta({ description: 'The contact, when `entity` was `contact`.' }),
  changedFields: z.array(z.string()),
  conflicts: z.array(z.string()).meta({ description: 'Ids of the conflicts this resync found (open or earlier).' }),
  writtenTo: z.array(z.string()),
  unlinked: z.array(z.string()).meta({ description: 'Integrations that no longer hold the record: unlinked.' }),
  deleted: z.boolean().meta({ description: 'True when the last link went and the entity is deleted.' }),
});

export const conflictSchema = z
  .object({
    id: z.string(),
    kind: z.enum(ENTITY_KINDS),
    entityId: z.string(),
    companyId: z.string().optional(),
    contactId: z.string().optional(),
    field: z.string(),
    base: z.string(),
    versions: z.array(z.object({ integrationId: z.string(), vendor: z.string(), value: z.string() })),
    status: z.enum(['open', 'resolved']),
    resolvedValue: z.string().optional(),
    resolvedAt: z.string().optional(),
    createdAt: z.string(),
  })
  .meta({ id: 'SyncConflict' });

export const conflictListSchema = z.object({ items: z.array(conflictSchema), nextCursor: z.string().nullable() });

export const resolveBody = z
  .union([
    z.strictObject({ integrationId: z.string().min(1).max(100).meta({ description: 'Take this product’s version.' }) }),
    z.strictObject({ value: z.string().max(500).meta({ description: 'Take this value.' }) }),
  ])
  .meta({ id: 'ResolveConflict' });

export const resolveResultSchema = z.object({ conflict: conflictSchema, writtenTo: z.array(z.string()) });
