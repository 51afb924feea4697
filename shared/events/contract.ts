import { z } from 'zod';

/**
 * The shapes the inbound pipeline's parts share (docs/design.md §6, §6.4, §6.5, §6.6): stage names and queues,
 * the stage message, the normalised event every stage after validation reads, the Failure
 * Analysis vocabulary, and the application properties a dead-lettered message carries so the
 * Failure Analysis can name the vendor, tool, agent run and closest SOP without re-reading state.
 */

/** Stage names as the API and the Failure Analysis spell them. */
export const STAGES = ['validation', 'sop_matching', 'agent_dispatch', 'agent_execution', 'tool_call'] as const;
export type Stage = (typeof STAGES)[number];

/** Service Bus queue per stage (infra/main.bicep declares the same names). */
export const STAGE_QUEUES: Record<Stage, string> = {
  validation: 'validation',
  sop_matching: 'sop-matching',
  agent_dispatch: 'agent-dispatch',
  agent_execution: 'agent-execution',
  tool_call: 'tool-call',
};

/** Failure Analysis error types (docs/design.md §6.8). Add new ones here, with a suggested-fix writer. */
export const ERROR_TYPES = [
  'no_sop_matched',
  'validation_error',
  'signature_invalid',
  'tool_execution_error',
  'tool_config_error',
  'vendor_unavailable',
  'rate_limited',
  'approval_rejected',
  'approval_expired',
  'outcome_unknown',
  'integration_missing',
  'crashed', // MaxDeliveryCountExceeded: the handler kept crashing
  'internal_error',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** Event statuses (docs/design.md §5.5). */
export const EVENT_STATUSES = [
  'received',
  'processing',
  'succeeded',
  'failed',
  'awaiting_approval',
  // Dropped by one of its webhook's ingest filters: terminal, and never a failure (docs/pipeline.md).
  'filtered',
  // Received while its webhook was paused: stored, not processed until the webhook is resumed.
  'held',
] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const EVENT_TRIGGERS = ['vendor', 'manual', 'bulk'] as const;
export type EventTrigger = (typeof EVENT_TRIGGERS)[number];

/**
 * One message on a stage queue. Ids only (docs/design.md §10.2). `step` distinguishes the units of work
 * inside a stage (`main`, or `<agentRunId>-<stepIndex>` = `run-<eventId>-<i>` for a tool call); `attempt` counts
 * planned retries (0 = first run). Message id = `{eventId}:{stage}:{step}:{attempt}` (docs/design.md §6.5).
 */
export const stageMessageSchema = z.object({
  v: z.literal(1),
  tenantId: z.string().min(1).max(128),
  eventId: z.string().min(1).max(64),
  stage: z.enum(STAGES),
  step: z.string().min(1).max(200),
  attempt: z.number().int().min(0).max(20),
  agentRunId: z.string().max(64).optional(),
  stepIndex: z.number().int().min(0).max(100).optional(),
});
export type StageMessage = z.infer<typeof stageMessageSchema>;

/** The common event the validation stage produces from a vendor payload. */
export const normalizedEventSchema = z.object({
  source: z.string(), // vendor id, or `generic`
  type: z.string(), // ticket.created, alert.triggered, company.updated, invoice.created, …
  subject: z.string(),
  severity: z.enum(['info', 'low', 'medium', 'high', 'critical']),
  /** Vendor entity references, e.g. { ticketId: "123", companyId: "9" }. */
  entities: z.record(z.string(), z.string()),
  keywords: z.array(z.string()),
  /** Flat fields SOP conditions can test (dotted paths into the vendor payload, stringified). */
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  occurredAt: z.string(),
});
export type NormalizedEvent = z.infer<typeof normalizedEventSchema>;

/**
 * Application properties every stage message and every dead-letter copy carries. The Failure
 * Analysis reads these (plus the dead-letter reason = ErrorType and description = message).
 */
export const FAILURE_PROPERTIES = {
  tenantId: 'tenantId',
  eventId: 'eventId',
  stage: 'stage',
  vendor: 'vendor',
  tool: 'tool',
  agentRunId: 'agentRunId',
  sopId: 'sopId',
  closestSopId: 'closestSopId',
  closestSopScore: 'closestSopScore',
  vendorStatus: 'vendorStatus',
  keyword: 'keyword',
} as const;
