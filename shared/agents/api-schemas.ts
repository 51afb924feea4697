import { z } from 'zod';
import { conditionSchema } from '../sops/conditions';
import { RUN_STATUSES, STEP_STATUSES } from './tables';

/** HTTP shapes of /api/v1/agent-runs and /api/v1/events/{id}/agent-runs. */

const flatValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const ledgerStateSchema = z
  .object({
    status: z.enum(['pending', 'succeeded', 'failed']).meta({
      description:
        '`pending`: claimed before the vendor call and never settled (the outcome is unknown); `succeeded` or `failed` after the vendor answered.',
    }),
    attempt: z.number().int().meta({ description: 'The attempt (0 = first) that claimed the write last.' }),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'VendorWrite' });

export const agentRunStepSchema = z
  .object({
    index: z.number().int(),
    name: z.string().nullable(),
    tool: z.string(),
    vendor: z.string().nullable().meta({ description: 'The tool’s vendor; null when the catalog no longer has it.' }),
    args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).meta({
      description: 'The step’s arguments as the SOP gave them (templates unrendered).',
    }),
    condition: conditionSchema.nullable(),
    requiresApproval: z.boolean().meta({ description: 'The step asks for one, or its tool always does.' }),
    status: z.enum(STEP_STATUSES),
    toolCallStep: z.string().meta({ description: 'The step name on the tool-call stage and in the timeline.' }),
    integrationId: z
      .string()
      .nullable()
      .meta({ description: 'The integration the call went through, else the one the step names.' }),
    approvalId: z.string().nullable(),
    summary: z.string().nullable(),
    error: z.string().nullable(),
    output: z.record(z.string(), flatValue).nullable(),
    at: z.string().nullable().meta({ description: 'When the step last changed.' }),
    ledger: ledgerStateSchema.nullable().meta({ description: 'The vendor-write ledger row; null for reads.' }),
  })
  .meta({ id: 'AgentRunStep' });

export const agentRunSchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    sopId: z.string(),
    sopName: z.string(),
    sopVersion: z.number().int(),
    status: z.enum(RUN_STATUSES),
    createdAt: z.string(),
    updatedAt: z.string(),
    steps: z.array(agentRunStepSchema),
  })
  .meta({ id: 'AgentRun' });
export type AgentRunView = z.infer<typeof agentRunSchema>;

export const agentRunListSchema = z
  .object({ items: z.array(agentRunSchema), nextCursor: z.null() })
  .meta({ id: 'AgentRunList' });

export const agentRunIdParams = z.strictObject({ id: z.string().min(1).max(100) });
