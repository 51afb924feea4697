import { z } from 'zod';
import { displayName } from '../validation/text';

/** HTTP shapes of the Microsoft 365 GDAP onboarding routes (docs/integrations.md). */
const directoryTenantId = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'not a directory tenant id');

export const gdapCustomerListSchema = z
  .object({
    customers: z.array(
      z.object({
        tenantId: z.string(),
        name: z.string().nullable(),
        reachable: z.boolean().meta({ description: 'At least one relationship is `active` or `expiring`.' }),
        relationships: z.array(
          z.object({
            id: z.string(),
            displayName: z.string(),
            status: z.string(),
            endDateTime: z.string().nullable(),
            roles: z.array(z.string()).meta({ description: 'Entra role definition ids granted.' }),
          }),
        ),
        integrationId: z.string().nullable().meta({ description: 'The hub integration already made for it.' }),
      }),
    ),
    truncated: z.boolean(),
  })
  .meta({ id: 'GdapCustomerList' });

export const gdapOnboardBody = z
  .strictObject({
    customers: z
      .array(z.strictObject({ tenantId: directoryTenantId, name: displayName.optional() }))
      .min(1)
      .max(50),
  })
  .meta({ id: 'GdapOnboard' });

export const gdapOnboardResultSchema = z
  .object({
    results: z.array(
      z.object({
        tenantId: z.string(),
        outcome: z.enum(['created', 'exists', 'refused', 'failed']),
        integrationId: z.string().optional(),
        reason: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'GdapOnboardResult' });
