import { z } from 'zod';
import { description, displayName } from '../validation/text';
import { VENDOR_IDS } from '../vendors/contract';
import { conditionSchema } from './conditions';

/**
 * HTTP shapes of /api/v1/sops. A SOP is match rules plus ordered steps; each step calls one tool
 * from GET /api/v1/tools with arguments that may hold `{{event...}}` placeholders.
 */

export const SOP_SOURCES = [...VENDOR_IDS, 'generic'] as const;

export const matchRulesSchema = z
  .strictObject({
    source: z.enum(SOP_SOURCES).optional().meta({ description: 'Only events from this vendor (or `generic`).' }),
    eventTypes: z
      .array(
        z
          .string()
          .regex(
            /^[a-z0-9_]+(\.([a-z0-9_]+|\*))*$/,
            'an event type like ticket.created, or ticket.* for every ticket event',
          ),
      )
      .max(20)
      .optional(),
    keywords: z
      .array(z.string().trim().min(1).max(100))
      .max(50)
      .optional()
      .meta({ description: 'Any one of them in the event keywords or subject (case-insensitive).' }),
    conditions: z.array(conditionSchema).max(20).optional().meta({ description: 'All must hold.' }),
    priority: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(100)
      .meta({ description: 'When several SOPs match, the highest priority wins.' }),
  })
  .refine(
    (m) =>
      m.source !== undefined ||
      (m.eventTypes?.length ?? 0) > 0 ||
      (m.keywords?.length ?? 0) > 0 ||
      (m.conditions?.length ?? 0) > 0,
    {
      message:
        'give at least one of source, eventTypes, keywords or conditions (a SOP matching everything is a mistake)',
    },
  )
  .meta({ id: 'SopMatchRules' });
export type MatchRules = z.infer<typeof matchRulesSchema>;

export const stepSchema = z
  .strictObject({
    name: displayName.optional(),
    tool: z.string().min(1).max(100).meta({ example: 'autotask.ticket.add_note' }),
    integrationId: z.string().min(1).max(64).optional().meta({
      description:
        "The integration to call; default: the event's own integration for its vendor, else the vendor's default.",
    }),
    args: z
      .record(z.string().min(1).max(64), z.union([z.string().max(4000), z.number(), z.boolean()]))
      .default({})
      .meta({ example: { ticketId: '{{event.entities.ticketId}}', description: 'Seen: {{event.subject}}' } }),
    condition: conditionSchema.optional().meta({ description: 'The step is skipped when this does not hold.' }),
    requiresApproval: z.boolean().default(false),
  })
  .meta({ id: 'SopStep' });
export type SopStep = z.infer<typeof stepSchema>;

export const sopBody = z
  .strictObject({
    name: displayName,
    description: description.optional(),
    enabled: z.boolean().default(true),
    match: matchRulesSchema,
    steps: z.array(stepSchema).min(1).max(20),
  })
  .meta({ id: 'SopInput' });
export type SopInput = z.infer<typeof sopBody>;

export const sopSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    enabled: z.boolean(),
    match: matchRulesSchema,
    steps: z.array(stepSchema),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Sop' });
export type SopView = z.infer<typeof sopSchema>;

export const sopListSchema = z
  .object({ items: z.array(sopSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'SopList' });

export const sopIdParams = z.strictObject({ id: z.string().min(1).max(64) });

export const sopListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2000).optional(),
});

export const matchPreviewBody = z
  .strictObject({
    event: z.strictObject({
      source: z.string().min(1).max(64),
      type: z.string().min(1).max(100),
      subject: z.string().max(1000).default(''),
      severity: z.enum(['info', 'low', 'medium', 'high', 'critical']).default('info'),
      entities: z.record(z.string(), z.string()).default({}),
      keywords: z.array(z.string()).max(100).default([]),
      fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
    }),
  })
  .meta({ id: 'SopMatchPreview' });

export const candidateSchema = z
  .object({ sopId: z.string(), name: z.string(), score: z.number(), missed: z.array(z.string()) })
  .meta({ id: 'SopCandidate' });

export const matchResultSchema = z
  .object({ matched: candidateSchema.nullable(), candidates: z.array(candidateSchema) })
  .meta({ id: 'SopMatchResult' });
