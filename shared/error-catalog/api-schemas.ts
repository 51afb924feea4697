import { z } from 'zod';
import { INTEGRATION_TYPES } from '../analytics/counters';

const typeRemediation = z.object({ applicable: z.boolean(), text: z.string() });

export const catalogEntrySchema = z
  .object({
    code: z.string().meta({ description: 'HTTP status, class (`4xx`) or platform code.' }),
    kind: z.enum(['http', 'class', 'platform']),
    status: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'The HTTP status the hub answers with this code, if any.' }),
    title: z.string(),
    meaning: z.string(),
    emitted: z.boolean().meta({ description: 'False for a dashboard code this hub has no equivalent of.' }),
    related: z.array(z.string()),
    remediation: z.object(
      Object.fromEntries(INTEGRATION_TYPES.map((t) => [t, typeRemediation])) as Record<
        (typeof INTEGRATION_TYPES)[number],
        typeof typeRemediation
      >,
    ),
    vendorNotes: z.array(z.object({ vendor: z.string(), note: z.string() })),
  })
  .meta({ id: 'ErrorCatalogEntry' });

export const catalogListSchema = z
  .object({ items: z.array(catalogEntrySchema), nextCursor: z.null() })
  .meta({ id: 'ErrorCatalog' });

export const catalogLookupSchema = catalogEntrySchema
  .extend({
    requested: z.string(),
    fallback: z.boolean().meta({ description: 'True when the code is not listed and its class answered.' }),
  })
  .meta({ id: 'ErrorCatalogLookup' });

export const catalogParams = z.strictObject({
  code: z
    .string()
    .min(1)
    .max(64)
    // Catalog codes are HTTP statuses, classes (`4xx`) and snake_case platform codes.
    .regex(/^[A-Za-z0-9_]+$/, 'must be an HTTP status, a class such as 4xx, or a snake_case code'),
});
