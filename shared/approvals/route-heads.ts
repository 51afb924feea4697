import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/approvals/routes.ts, written once: functions/approvals-api.ts registers each
 * under `name` without loading the capability, and the definitions spread them. Data only
 * (docs/architecture.md, "Adding a route").
 */
export const approvalRouteHeads = {
  listApprovals: {
    name: 'approvals-list',
    method: 'GET',
    route: 'v1/approvals',
    scope: 'approvals:read',
    operationId: 'listApprovals',
  },
  getApproval: {
    name: 'approvals-get',
    method: 'GET',
    route: 'v1/approvals/{id}',
    scope: 'approvals:read',
    operationId: 'getApproval',
  },
  approveApproval: {
    name: 'approvals-approve',
    method: 'POST',
    route: 'v1/approvals/{id}/approve',
    scope: 'approvals:write',
    operationId: 'approveApproval',
  },
  rejectApproval: {
    name: 'approvals-reject',
    method: 'POST',
    route: 'v1/approvals/{id}/reject',
    scope: 'approvals:write',
    operationId: 'rejectApproval',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
