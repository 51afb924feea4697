import { z } from 'zod';
import { apiInstant } from '../validation/instant';

/** HTTP shapes of GET /api/v1/audit (docs/api.md, "Audit log"). */

export const auditQuery = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(4096).optional(),
    action: z
      .string()
      .regex(/^[a-z0-9_.:-]{1,64}$/, 'an action name such as apikey.create')
      .optional()
      .meta({ description: 'Only entries of this action (e.g. `apikey.create`, `tenant.disable`).' }),
    actor: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'an API key id, `bootstrap` or `operator`')
      .optional()
      .meta({ description: 'Only entries by this key id (`bootstrap`, `operator` for the built-in keys).' }),
    from: apiInstant.optional().meta({ description: 'Oldest instant included.' }),
    to: apiInstant.optional().meta({ description: 'Newest instant included.' }),
  })
  .meta({ id: 'AuditQuery' });

export const auditEntryViewSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    action: z.string(),
    actor: z.string().meta({ description: 'The key id that acted (`bootstrap`, `operator` for the built-in keys).' }),
    targetType: z.string(),
    targetId: z.string(),
    correlationId: z.string().nullable(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  })
  .meta({ id: 'AuditEntry' });

export const auditListSchema = z
  .object({ items: z.array(auditEntryViewSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditList' });
