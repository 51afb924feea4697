import { z } from 'zod';
import { integrationIdSchema } from '../validation/ids';
import { displayName } from '../validation/text';
import { vendorIdSchema } from '../vendors/api-schemas';

/**
 * HTTP shapes of /api/v1/integrations (docs/design.md §5.5); the vendor list's are in shared/vendors/api-schemas.ts. Credentials go in; they
 * never come out: views list which credential fields are set, never a value.
 */
const integrationName = displayName.meta({ example: 'Autotask (production)' });

/** Credential values are strings; each vendor's schema decides which fields it needs. */
const credentialsInput = z
  .record(z.string().min(1).max(64), z.string().max(8192))
  .meta({ description: 'Vendor credential fields (see GET /api/v1/vendors). Write-only.' });

const configInput = z
  .record(z.string().min(1).max(64), z.union([z.string().max(2048), z.number(), z.boolean()]))
  .meta({ description: 'Vendor configuration (base URL, region, …; see GET /api/v1/vendors).' });

export const createIntegrationBody = z
  .strictObject({
    vendor: vendorIdSchema,
    name: integrationName,
    credentials: credentialsInput,
    config: configInput.optional(),
    isDefault: z.boolean().optional(),
    allowPrivateAddress: z
      .boolean()
      .optional()
      .meta({ description: "Let this integration reach its vendor host on a private address (needs scope 'admin')." }),
  })
  .meta({ id: 'CreateIntegration' });

export const testConnectionBody = z
  .strictObject({
    vendor: vendorIdSchema,
    credentials: credentialsInput,
    config: configInput.optional(),
    allowPrivateAddress: z.boolean().optional(),
  })
  .meta({ id: 'TestConnection' });

export const updateIntegrationBody = z
  .strictObject({
    name: integrationName.optional(),
    credentials: credentialsInput.optional().meta({ description: 'Replaces every credential field.' }),
    config: configInput.optional().meta({ description: 'Replaces the configuration.' }),
    isDefault: z
      .literal(true)
      .optional()
      .meta({ description: 'Make this the default integration of its vendor (the previous default stops being it).' }),
    allowPrivateAddress: z.boolean().optional(),
  })
  .meta({ id: 'UpdateIntegration' });

export const skipTestQuery = z.strictObject({
  skipTest: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
});

export const integrationListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(4096).optional(),
  vendor: vendorIdSchema.optional(),
});

export const integrationIdParams = z.strictObject({
  id: integrationIdSchema,
});

/** Present on integrations an admin authorises in a browser (Halo PSA `grant: authorization_code`). */
export const integrationOAuthSchema = z
  .object({
    redirectUri: z
      .string()
      .nullable()
      .meta({ description: 'The redirect URI to register at the vendor, exactly; null until PUBLIC_BASE_URL is set.' }),
    authorised: z.boolean(),
    authorisedAt: z.string().nullable(),
    grantedScopes: z.array(z.string()),
    missingScopes: z.array(z.string()).meta({ description: 'Needed scopes the vendor did not grant, by name.' }),
    hint: z.string().nullable(),
  })
  .meta({ id: 'IntegrationOAuth' });

export const integrationSchema = z
  .object({
    id: z.string(),
    vendor: vendorIdSchema,
    name: z.string(),
    isDefault: z.boolean(),
    config: z.record(z.string(), z.unknown()),
    credentialFields: z.array(z.string()).meta({ description: 'Which credential fields are set (never values).' }),
    allowPrivateAddress: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    createdBy: z.string(),
    credentialsUpdatedAt: z.string(),
    oauth: integrationOAuthSchema.optional(),
  })
  .meta({ id: 'Integration' });

export const integrationListSchema = z
  .object({ items: z.array(integrationSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'IntegrationList' });

export const connectionStateSchema = z
  .enum(['connected', 'disconnected', 'needs_attention', 'checking', 'unknown'])
  .meta({ id: 'ConnectionState' });

const quotaSchema = z.object({
  used: z.number(),
  limit: z.number(),
  windowSeconds: z.number(),
  headroom: z.number(),
});

const expirySchema = z.object({ what: z.string(), at: z.string() });

export const testResultSchema = z
  .object({
    ok: z.boolean(),
    status: connectionStateSchema,
    latencyMs: z.number().int(),
    vendorStatus: z.number().int().nullable(),
    vendorMessage: z.string().nullable().meta({ description: "The vendor's own message, verbatim." }),
    hint: z.string().nullable().meta({ description: 'What to do about it, for a human.' }),
    quota: quotaSchema.optional(),
    expiries: z.array(expirySchema).optional(),
    detectedConfig: z.record(z.string(), z.unknown()).optional().meta({
      description:
        'Settings the test found out (IT Glue `region`, Autotask `zoneUrl`); a saved integration keeps them, an unsaved test reports them to be saved.',
    }),
    notes: z.array(z.string()).optional().meta({ description: 'What the test saw, for a human.' }),
    missingScopes: z.array(z.string()).optional().meta({
      description: 'Scopes the hub needs that the vendor did not grant (Halo PSA authorised in a browser), by name.',
    }),
  })
  .meta({ id: 'ConnectionTestResult' });

export type TestResult = z.infer<typeof testResultSchema>;
export { expirySchema, quotaSchema };
