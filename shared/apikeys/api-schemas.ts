import { z } from 'zod';
import { displayName } from '../validation/text';
import { SCOPES, scopeSchema } from './scopes';

export const createApiKeyBody = z
  .strictObject({
    name: displayName.meta({ example: 'Ops dashboard (read-only)' }),
    scopes: z.array(scopeSchema).min(1).max(SCOPES.length),
    expiresAt: z.iso.datetime({ offset: true }).optional().meta({
      description:
        "When the key stops working (ISO 8601). Capped at the creating key's own expiry and at API_KEY_MAX_LIFETIME_DAYS; omitted means the latest allowed time.",
    }),
  })
  .meta({ id: 'CreateApiKey' });

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(scopeSchema),
    hint: z.string().meta({ description: 'Recognisable prefix of the key; never usable on its own.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    createdBy: z
      .string()
      .meta({ description: "Id of the key that created this one (`operator` for a tenant's first admin key)." }),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const createdApiKeySchema = apiKeySchema
  .extend({ key: z.string().meta({ description: 'The API key. Shown only in this response; store it now.' }) })
  .meta({ id: 'CreatedApiKey' });

export const apiKeyListSchema = z
  .object({ items: z.array(apiKeySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ApiKeyList' });

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(4096).optional(),
});

export const idParams = z.strictObject({ id: z.string().regex(/^[0-9a-z]{26}$/, 'not an API key id') });
