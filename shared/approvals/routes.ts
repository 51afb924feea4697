import { defineApiRoute, problemSchema } from '../api/api-route';
import { approvalIdParams, approvalListQuery, approvalListSchema, approvalSchema, decisionBody } from './api-schemas';
import { decideApproval, getApproval, listApprovals } from './approvals';
import { approvalDeps } from './deps';
import { approvalRouteHeads as heads } from './route-heads';

const TAGS = ['Approvals'];
const notFound = { description: 'No such approval in this tenant.', schema: problemSchema };
const decided = {
  description: 'Already decided the other way (`approval_already_decided`) or expired (`approval_expired`).',
  schema: problemSchema,
};

function decisionRoute<D extends 'approve' | 'reject'>(decision: D) {
  return defineApiRoute({
    ...heads[`${decision}Approval`],
    summary:
      decision === 'approve'
        ? 'Approve: the tool call runs and the agent run goes on'
        : 'Reject: the event fails as approval_rejected',
    tags: TAGS,
    params: approvalIdParams,
    body: decisionBody,
    // A decision needs no body; `{"comment": "…"}` is optional.
    bodyOptional: true,
    responses: { 200: { description: 'The decided approval.', schema: approvalSchema }, 404: notFound, 409: decided },
    handle: async ({ principal, params, body, correlationId }) => ({
      status: 200,
      body: await decideApproval(
        approvalDeps(),
        principal,
        params.id,
        decision === 'approve' ? 'approved' : 'rejected',
        body.comment,
        correlationId,
      ),
    }),
  });
}

/** API routes by operationId; functions/approvals-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  listApprovals: defineApiRoute({
    ...heads.listApprovals,
    summary: 'Tool calls waiting for (or given) a human decision, newest first',
    tags: TAGS,
    query: approvalListQuery,
    responses: { 200: { description: 'A page of approvals.', schema: approvalListSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await listApprovals(approvalDeps(), principal, query),
    }),
  }),
  getApproval: defineApiRoute({
    ...heads.getApproval,
    summary: 'Get one approval',
    tags: TAGS,
    params: approvalIdParams,
    responses: { 200: { description: 'The approval.', schema: approvalSchema }, 404: notFound },
    handle: async ({ principal, params }) => ({
      status: 200,
      body: await getApproval(approvalDeps(), principal.tenantId, params.id),
    }),
  }),
  approveApproval: decisionRoute('approve'),
  rejectApproval: decisionRoute('reject'),
};
