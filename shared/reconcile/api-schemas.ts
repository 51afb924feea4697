import { z } from 'zod';
import { RECONCILE_CLASSES, RESOURCE_KINDS } from './classify';

/** HTTP shapes of /api/v1/integrations/{id}/reconcile (docs/reconcile.md). */
const fieldValue = z.union([z.string(), z.boolean()]);

export const reconcileItemSchema = z
  .object({
    item: z.string().meta({ description: '`<kind>:<vendor id>`; apply names items by it.' }),
    kind: z.enum(RESOURCE_KINDS),
    vendorId: z.string(),
    label: z.string(),
    class: z.enum(RECONCILE_CLASSES),
    createdByHub: z
      .boolean()
      .meta({ description: 'Only resources the hub created itself can be re-created or removed through apply.' }),
    webhookId: z.string().optional(),
    integrationId: z.string().optional(),
    differences: z
      .array(z.object({ field: z.string(), expected: fieldValue, actual: fieldValue.nullable() }))
      .optional()
      .meta({ description: 'For `drifted`: each field whose value at the vendor differs from the hub’s.' }),
  })
  .meta({ id: 'ReconcileItem' });

const counts = z.object(
  Object.fromEntries(RECONCILE_CLASSES.map((c) => [c, z.number().int()])) as Record<
    (typeof RECONCILE_CLASSES)[number],
    z.ZodNumber
  >,
);

export const reconcileReportSchema = z
  .object({
    integrationId: z.string(),
    vendor: z.string(),
    checkedAt: z.string(),
    summary: counts,
    items: z.array(reconcileItemSchema),
    notes: z.array(z.string()),
  })
  .meta({ id: 'ReconcileReport' });

export const reconcileApplyBody = z
  .strictObject({
    confirm: z
      .boolean()
      .optional()
      .meta({ description: 'Without `true` nothing changes: the answer says what would be done.' }),
    actions: z
      .array(
        z.strictObject({
          item: z.string().min(1).max(300),
          action: z.enum(['recreate', 'remove']),
          fieldIds: z
            .array(z.number().int().positive())
            .min(1)
            .max(100)
            .optional()
            .meta({ description: 'Autotask recreate: the ticket field ids to subscribe.' }),
        }),
      )
      .min(1)
      .max(100),
  })
  .meta({ id: 'ReconcileApply' });

export const reconcileApplyResultSchema = z
  .object({
    confirmed: z.boolean(),
    results: z.array(
      z.object({
        item: z.string(),
        action: z.enum(['recreate', 'remove']),
        outcome: z.enum(['done', 'would_do', 'refused', 'failed']),
        reason: z.string().optional(),
        detail: z.string().optional(),
      }),
    ),
    report: reconcileReportSchema.meta({
      description: 'The diff the actions were checked against (read before acting).',
    }),
  })
  .meta({ id: 'ReconcileApplyResult' });
