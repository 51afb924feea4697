import { z } from 'zod';
import { createdApiKeySchema } from '../apikeys/api-schemas';
import { description, displayName } from '../validation/text';
import { TENANT_STATUSES } from './tables';

export const createTenantBody = z
  .strictObject({
    name: displayName.meta({ example: 'Contoso Managed Services' }),
    description: description.optional(),
  })
  .meta({ id: 'CreateTenant' });

export const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    status: z.enum(TENANT_STATUSES),
    createdAt: z.string(),
    updatedAt: z.string(),
    createdBy: z.string(),
    disabledAt: z.string().nullable(),
    dailyInboundQuota: z.number().int().nullable().meta({
      description:
        "This tenant's daily (UTC) cap on inbound webhook deliveries; null: the deployment's INBOUND_TENANT_DAILY_QUOTA (if any).",
    }),
    payloadRetentionDays: z
      .number()
      .int()
      .nullable()
      .describe('Days event and delivery payloads are kept; null: the platform maximum (EVENT_RETENTION_DAYS).'),
  })
  .meta({ id: 'Tenant' });

export const payloadRetentionBody = z
  .strictObject({
    days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .nullable()
      .describe('Days to keep payloads, at most EVENT_RETENTION_DAYS; null: the platform maximum.'),
  })
  .meta({ id: 'PayloadRetention' });

export const createdTenantSchema = tenantSchema
  .extend({
    /** The tenant's first admin key; `key` is shown only in this response. */
    adminKey: createdApiKeySchema,
  })
  .meta({ id: 'CreatedTenant' });

export const tenantListSchema = z
  .object({ items: z.array(tenantSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'TenantList' });

export const tenantIdParams = z.strictObject({ id: z.string().regex(/^[0-9a-z]{26}$/, 'not a tenant id') });

/** Limits the operator sets on one tenant; null removes the tenant's own value (the default applies). */
export const tenantLimitsBody = z
  .strictObject({
    dailyInboundQuota: z.number().int().positive().max(1_000_000_000).nullable(),
  })
  .meta({ id: 'TenantLimits' });
