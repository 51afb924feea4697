import { z } from 'zod';
import type { StorageAccount } from '../storage/connection';
import { MAX_STRING_CHARS } from '../storage/entity-codec';
import { TableRepository } from '../storage/table-repository';

/**
 * The routing tables (docs/routing.md, "Storage"):
 *
 * - `routingrules` (the name docs/design.md §4 reserved): PartitionKey = tenant id, RowKey
 *   `config`. The whole routing document, JSON split over `d0`…`d7` because one string property
 *   holds 32 Ki characters; the document is capped to fit (CONFIG_CHUNKS × MAX_STRING_CHARS).
 * - `routingdecisions`: PartitionKey = tenant id, RowKey = `vendor|ticketId` (escaped). One row per
 *   ticket: the team it has now and routing's own first decision beside it, which the accuracy
 *   metric compares.
 * - `routingerrors`: PartitionKey = tenant id, RowKey newest first. Tickets routing could not decide.
 * - `routingerrordays`: PartitionKey = UTC day (`YYYYMMDD`), RowKey = tenant id (escaped). The
 *   tenants that recorded a routing error that day, so retention finds old errors without a scan.
 */

export const CONFIG_ROW = 'config';
export const CONFIG_CHUNKS = 8;
export const MAX_CONFIG_CHARS = CONFIG_CHUNKS * MAX_STRING_CHARS;

const chunk = z.string().optional();
export const configRowSchema = z.object({
  version: z.number().int().min(1),
  updatedAt: z.string(),
  updatedBy: z.string(),
  d0: chunk,
  d1: chunk,
  d2: chunk,
  d3: chunk,
  d4: chunk,
  d5: chunk,
  d6: chunk,
  d7: chunk,
});
export type ConfigRow = z.infer<typeof configRowSchema>;

const by = z.enum(['client_link', 'rule', 'default', 'manual']);

export const decisionRowSchema = z.object({
  vendor: z.string(),
  ticketId: z.string(),
  integrationId: z.string().nullable(),
  teamId: z.string(),
  by,
  ruleId: z.string().nullable(),
  decidedAt: z.string(),
  /** Routing's own decision; absent when a person set the team before routing ever did. */
  routedTeamId: z.string().optional(),
  routedBy: by.optional(),
  routedRuleId: z.string().nullable().optional(),
  routedAt: z.string().optional(),
  /** A manual reassignment moved the ticket to a team other than `routedTeamId` (never unset). */
  overridden: z.boolean(),
  reassignments: z.number().int(),
  source: z.enum(['sync', 'webhook', 'manual']),
  subject: z.string().nullable(),
});
export type DecisionRow = z.infer<typeof decisionRowSchema>;

export const routingErrorRowSchema = z.object({
  at: z.string(),
  code: z.enum(['no_team', 'config_unreadable', 'routing_failed']),
  message: z.string(),
  vendor: z.string(),
  ticketId: z.string(),
  integrationId: z.string().nullable(),
  source: z.enum(['sync', 'webhook']),
  eventId: z.string().nullable(),
});
export type RoutingErrorRow = z.infer<typeof routingErrorRowSchema>;

export const routingErrorDayRowSchema = z.object({ tenantId: z.string() });
export type RoutingErrorDayRow = z.infer<typeof routingErrorDayRowSchema>;

export interface RoutingTables {
  config: TableRepository<ConfigRow>;
  decisions: TableRepository<DecisionRow>;
  errors: TableRepository<RoutingErrorRow>;
  errorDays: TableRepository<RoutingErrorDayRow>;
}

export function routingTables(account: StorageAccount): RoutingTables {
  return {
    config: new TableRepository(account, 'routingrules', configRowSchema),
    decisions: new TableRepository(account, 'routingdecisions', decisionRowSchema),
    errors: new TableRepository(account, 'routingerrors', routingErrorRowSchema),
    errorDays: new TableRepository(account, 'routingerrordays', routingErrorDayRowSchema),
  };
}
