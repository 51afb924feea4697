import { z } from 'zod';
import { displayName, displayText } from '../validation/text';
import { VENDOR_IDS } from '../vendors/contract';

/**
 * HTTP shapes of /api/v1/routing (docs/routing.md). The routing config is one document per tenant:
 * teams, client links, ordered rules and a default team. Every list is capped and the whole
 * document is capped again once encoded, so one tenant's config always fits its one table row.
 */

export const MAX_TEAMS = 50;
export const MAX_RULES = 100;
export const MAX_CLIENT_LINKS = 2000;
export const MAX_KEYWORDS_PER_RULE = 20;
export const MAX_KEYWORD_CHARS = 40;
export const MAX_CONDITION_VALUES = 20;
export const MAX_CONDITION_VALUE_CHARS = 100;
export const MAX_BULK_LINKS = 500;

export const ROUTED_BY = ['client_link', 'rule', 'default', 'manual'] as const;
export type RoutedBy = (typeof ROUTED_BY)[number];

/** Ids are the tenant's own short slugs, so rules and links read well in the document and in logs. */
const slug = (what: string) =>
  z
    .string()
    .min(1)
    .max(40)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, `${what}: letters, digits, '_', '.', '-' (starting with a letter or digit)`);

export const teamIdSchema = slug('a team id');
export const ruleIdSchema = slug('a rule id');

/** Vendor ids of clients, tickets, boards: opaque strings, trimmed, no control characters. */
const vendorValue = displayText({ min: 1, max: MAX_CONDITION_VALUE_CHARS });
const clientIdSchema = displayText({ min: 1, max: 64 });
const ticketIdSchema = displayText({ min: 1, max: 64 });

export const teamSchema = z
  .strictObject({
    id: teamIdSchema,
    name: displayName,
  })
  .meta({ id: 'RoutingTeam' });
export type Team = z.infer<typeof teamSchema>;

export const clientLinkSchema = z
  .strictObject({
    clientId: clientIdSchema.meta({ description: "The vendor's client (company) id." }),
    vendor: z
      .enum(VENDOR_IDS)
      .optional()
      .meta({ description: "Only this vendor's client of that id; absent: the id in any vendor." }),
    teamId: teamIdSchema,
  })
  .meta({ id: 'RoutingClientLink' });
export type ClientLink = z.infer<typeof clientLinkSchema>;

const valueList = z.array(vendorValue).min(1).max(MAX_CONDITION_VALUES);

export const ruleConditionsSchema = z
  .strictObject({
    categories: valueList.optional().meta({ description: 'Any one equals the ticket category (case-insensitive).' }),
    priorities: valueList.optional().meta({ description: 'Any one equals the ticket priority (case-insensitive).' }),
    boards: valueList
      .optional()
      .meta({ description: 'Any one equals the ticket board, queue or team hint (case-insensitive).' }),
    keywords: z
      .array(displayText({ min: 1, max: MAX_KEYWORD_CHARS }))
      .min(1)
      .max(MAX_KEYWORDS_PER_RULE)
      .optional()
      .meta({ description: 'Any one occurs as a whole word or phrase in the subject or summary (case-insensitive).' }),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), {
    message: 'a rule needs at least one condition (categories, priorities, boards or keywords)',
  })
  .meta({ description: 'Every condition given must hold; inside one, any value may match.' });

export const ruleSchema = z
  .strictObject({
    id: ruleIdSchema,
    name: displayName,
    enabled: z.boolean().default(true),
    teamId: teamIdSchema,
    when: ruleConditionsSchema,
  })
  .meta({ id: 'RoutingRule' });
export type Rule = z.infer<typeof ruleSchema>;

export const routingConfigBody = z
  .strictObject({
    teams: z.array(teamSchema).max(MAX_TEAMS),
    clientLinks: z.array(clientLinkSchema).max(MAX_CLIENT_LINKS).default([]),
    rules: z
      .array(ruleSchema)
      .max(MAX_RULES)
      .default([])
      .meta({ description: 'Tried in order; the first match wins.' }),
    defaultTeamId: teamIdSchema.nullable().meta({ description: 'The team of a ticket nothing else decided.' }),
  })
  .meta({ id: 'RoutingConfigInput' });
export type RoutingConfigInput = z.input<typeof routingConfigBody>;
/** The document as decisions read it (defaults applied). */
export type RoutingDocument = z.output<typeof routingConfigBody>;

export const routingConfigSchema = z
  .object({
    teams: z.array(teamSchema),
    clientLinks: z.array(clientLinkSchema),
    rules: z.array(ruleSchema),
    defaultTeamId: z.string().nullable(),
    configured: z.boolean().meta({
      description: 'false until a config is first saved: tickets are then not routed and nothing is recorded for them.',
    }),
    version: z.number().int().meta({ description: 'Also the ETag; 0 while the tenant has saved none.' }),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'RoutingConfig' });
export type RoutingConfigView = z.infer<typeof routingConfigSchema>;

/** The narrow ticket routing reads: what sync and webhook-created tickets both know. */
export const routableTicketSchema = z
  .strictObject({
    vendor: z.enum(VENDOR_IDS),
    ticketId: ticketIdSchema,
    integrationId: z.string().max(64).nullable().default(null),
    clientId: clientIdSchema.nullable().default(null),
    clientName: displayText({ min: 0, max: 200 }).nullable().default(null),
    category: displayText({ min: 0, max: 200 }).nullable().default(null),
    priority: displayText({ min: 0, max: 100 }).nullable().default(null),
    board: displayText({ min: 0, max: 200 })
      .nullable()
      .default(null)
      .meta({ description: "The vendor's board, queue or team hint." }),
    subject: displayText({ min: 0, max: 500 }).nullable().default(null),
    summary: z.string().max(4000).nullable().default(null).meta({ description: 'Longer text keywords also search.' }),
  })
  .meta({ id: 'RoutableTicket' });
export type RoutableTicketInput = z.output<typeof routableTicketSchema>;
export type RoutableTicket = RoutableTicketInput & { tenantId: string };

export const routingTestBody = z
  .strictObject({
    ticket: routableTicketSchema,
    config: routingConfigBody.optional().meta({ description: 'A draft to test instead of the saved config.' }),
  })
  .meta({ id: 'RoutingTestRequest' });

const checkedRuleSchema = z.object({
  ruleId: z.string(),
  matched: z.boolean(),
  /** The conditions that failed (empty when it matched, `disabled` when it is off). */
  missed: z.array(z.string()),
});

export const routingOutcomeSchema = z
  .object({
    teamId: z.string().nullable().meta({ description: 'null: nothing decided and there is no default team.' }),
    teamName: z.string().nullable(),
    by: z.enum(ROUTED_BY).nullable(),
    ruleId: z.string().nullable(),
    checked: z.array(checkedRuleSchema).meta({ description: 'Each rule tried, in order, until one matched.' }),
  })
  .meta({ id: 'RoutingOutcome' });
export type RoutingOutcome = z.infer<typeof routingOutcomeSchema>;

export const decisionSchema = z
  .object({
    vendor: z.string(),
    ticketId: z.string(),
    integrationId: z.string().nullable(),
    teamId: z.string(),
    by: z.enum(ROUTED_BY),
    ruleId: z.string().nullable(),
    decidedAt: z.string(),
    routed: z
      .object({ teamId: z.string(), by: z.enum(ROUTED_BY), ruleId: z.string().nullable(), at: z.string() })
      .nullable()
      .meta({ description: "Routing's own decision (null when the team was only ever set by hand)." }),
    overridden: z.boolean().meta({ description: 'A manual reassignment moved it away from the routed team.' }),
    reassignments: z.number().int(),
    source: z.enum(['sync', 'webhook', 'manual']),
    subject: z.string().nullable(),
  })
  .meta({ id: 'RoutingDecision' });
export type DecisionView = z.infer<typeof decisionSchema>;

export const decisionListSchema = z.object({ items: z.array(decisionSchema), nextCursor: z.string().nullable() });

export const decisionParams = z.strictObject({ vendor: z.enum(VENDOR_IDS), ticketId: ticketIdSchema });

export const reassignBody = z
  .strictObject({
    teamId: teamIdSchema,
    note: displayText({ min: 0, max: 500 }).optional(),
  })
  .meta({ id: 'RoutingReassignRequest' });

export const bulkLinkBody = z
  .strictObject({
    teamId: teamIdSchema.nullable().meta({ description: 'null removes the links of these clients.' }),
    clients: z
      .array(z.strictObject({ clientId: clientIdSchema, vendor: z.enum(VENDOR_IDS).optional() }))
      .min(1)
      .max(MAX_BULK_LINKS),
  })
  .meta({ id: 'RoutingBulkLinkRequest' });

export const bulkLinkResultSchema = z.object({
  linked: z.number().int(),
  moved: z.number().int(),
  unlinked: z.number().int(),
  unchanged: z.number().int(),
  version: z.number().int(),
});

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2000).optional(),
});

export const ROUTING_ERROR_CODES = ['no_team', 'config_unreadable', 'routing_failed'] as const;

export const routingErrorSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    code: z.enum(ROUTING_ERROR_CODES),
    message: z.string(),
    vendor: z.string(),
    ticketId: z.string(),
    integrationId: z.string().nullable(),
    source: z.enum(['sync', 'webhook']),
    eventId: z.string().nullable(),
  })
  .meta({ id: 'RoutingError' });
export type RoutingErrorView = z.infer<typeof routingErrorSchema>;
export const routingErrorListSchema = z.object({
  items: z.array(routingErrorSchema),
  nextCursor: z.string().nullable(),
});

export const accuracyQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(90).default(30) });

const methodCounts = z.object({ routed: z.number().int(), overridden: z.number().int() });
export const accuracySchema = z
  .object({
    days: z.number().int(),
    from: z.string(),
    to: z.string(),
    routed: z.number().int().meta({ description: 'Tickets routing decided (client link, rule or default).' }),
    overridden: z.number().int().meta({ description: 'Of those, reassigned by hand to another team.' }),
    accuracy: z
      .number()
      .nullable()
      .meta({ description: '(routed − overridden) / routed; null when nothing was routed.' }),
    byMethod: z.object({ client_link: methodCounts, rule: methodCounts, default: methodCounts }),
  })
  .meta({ id: 'RoutingAccuracy' });
export type AccuracyView = z.infer<typeof accuracySchema>;
