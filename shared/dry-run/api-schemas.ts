import { z } from 'zod';
import { ERROR_TYPES, normalizedEventSchema } from '../events/contract';
import { candidateSchema } from '../sops/api-schemas';

/** HTTP shapes of the dry runs (docs/pipeline.md, "Dry run"). */

export const webhookTestBody = z
  .strictObject({
    // Every supported vendor posts a JSON object, so anything else is refused before a plan runs.
    payload: z.record(z.string(), z.unknown()).optional().meta({
      description:
        "The body as the vendor would post it (a JSON object). Omit it to use an example of the webhook's source (docs/vendors.md).",
    }),
  })
  .meta({ id: 'WebhookTest' });

export const dryRunIdParams = z.strictObject({ id: z.string().min(1).max(64) });

const errorType = z.enum(ERROR_TYPES);

const stepPlanSchema = z
  .object({
    index: z.number().int(),
    name: z.string().nullable(),
    tool: z.string(),
    vendor: z.string().nullable(),
    writes: z.boolean().meta({ description: 'The tool changes something at the vendor.' }),
    status: z.enum(['would_run', 'would_skip', 'needs_approval', 'would_fail']),
    condition: z.object({ text: z.string(), holds: z.boolean() }).nullable(),
    args: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: 'The arguments the tool would be called with (rendered from the event; nothing is sent).' }),
    integrationId: z.string().nullable(),
    approvalReason: z.string().nullable(),
    errorType: errorType.nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'DryRunStep' });

export const dryRunResultSchema = z
  .object({
    dryRun: z.literal(true),
    payloadFrom: z.enum(['sample', 'given', 'stored']),
    source: z.string(),
    webhookId: z.string().nullable(),
    eventId: z.string().nullable().meta({ description: 'The stored event (event dry run); null for a test payload.' }),
    verdict: z.object({
      outcome: z.enum(['succeeded', 'awaiting_approval', 'filtered', 'failed']),
      stage: z.enum(['validation', 'sop_matching', 'agent_execution', 'tool_call']).nullable(),
      errorType: errorType.nullable(),
      stopsAtStep: z.number().int().nullable(),
      summary: z.string(),
    }),
    validation: z.object({ ok: z.boolean(), event: normalizedEventSchema.nullable(), error: z.string().nullable() }),
    filter: z
      .object({
        matched: z.object({ name: z.string(), description: z.string() }).nullable(),
        applies: z.boolean().meta({ description: 'False for a stored event: a replay is not filtered.' }),
      })
      .nullable(),
    sopMatching: z
      .object({
        matched: candidateSchema.nullable(),
        candidates: z.array(candidateSchema),
        error: z.string().nullable(),
      })
      .nullable(),
    sop: z.object({ id: z.string(), name: z.string(), version: z.number().int() }).nullable(),
    steps: z.array(stepPlanSchema),
    sideEffects: z.object({
      eventsCreated: z.literal(0),
      vendorCalls: z.literal(0),
      approvalsRequested: z.literal(0),
      storageWrites: z.literal(0),
    }),
  })
  .meta({ id: 'DryRunResult' });
