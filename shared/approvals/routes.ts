import { defineApiRoute, problemSchema } from '../api/api-route';
import { approvalIdParams, approvalListQuery, approvalListSchema, approvalSchema, decisionBody } from './api-schemas';
import { decideApproval, getApproval, listApprovals } from './approvals';
import { approvalDeps } from './deps';

const TAGS = ['Approvals'];
const notFound = { description: 'No such approval in this tenant.', schema: problemSchema };
const decided = {
  description: 'Already decided the other way (`approval_already_decided`) or expired (`approval_expired`).',
  schema: problemSchema,
};

function decisionRoute<D extends 'approve' | 'reject'>(decision: D) {
  return defineApiRoute({
    method: 'POST',
    route: `v1/approvals/{id}/${decision}` as const,
    operationId: `${decision}Approval` as const,
    summary:
      decision === 'approve'
        ? 'Approve: the tool call runs and the agent run goes on'
        : 'Reject: the event fails as approval_rejected',
    tags: TAGS,
    scope: 'approvals:write',
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
    method: 'GET',
    route: 'v1/approvals',
    operationId: 'listApprovals',
    summary: 'Tool calls waiting for (or given) a human decision, newest first',
    tags: TAGS,
    scope: 'approvals:read',
    query: approvalListQuery,
    responses: { 200: { description: 'A page of approvals.', schema: approvalListSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await listApprovals(approvalDeps(), principal, query),
    }),
  }),
  getApproval: defineApiRoute({
    method: 'GET',
    route: 'v1/approvals/{id}',
    operationId: 'getApproval',
    summary: 'Get one approval',
    tags: TAGS,
    scope: 'approvals:read',
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
