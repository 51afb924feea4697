import { z } from 'zod';
import { description } from '../validation/text';
import { APPROVAL_STATUSES } from './tables';

/** HTTP shapes of /api/v1/approvals. */
export const approvalSchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    agentRunId: z.string(),
    stepIndex: z.number().int(),
    sopId: z.string(),
    tool: z.string(),
    vendor: z.string(),
    args: z.record(z.string(), z.unknown()),
    reason: z.string(),
    status: z.enum(APPROVAL_STATUSES),
    createdAt: z.string(),
    expiresAt: z.string(),
    decidedAt: z.string().nullable(),
    decidedBy: z.string().nullable(),
    comment: z.string().nullable(),
  })
  .meta({ id: 'Approval' });
export type ApprovalView = z.infer<typeof approvalSchema>;

export const approvalListSchema = z
  .object({ items: z.array(approvalSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ApprovalList' });

export const approvalListQuery = z.strictObject({
  status: z.enum(APPROVAL_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2000).optional(),
});

export const approvalIdParams = z.strictObject({ id: z.string().min(1).max(100) });

export const decisionBody = z.strictObject({ comment: description.optional() }).meta({ id: 'ApprovalDecision' });
