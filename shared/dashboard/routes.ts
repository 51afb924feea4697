import { defineApiRoute } from '../api/api-route';
import { nowMs } from '../clock';
import { dashboardQuery, dashboardSchema, failureDetailQuery, failureDetailSchema, failureParams } from './api-schemas';
import { buildDashboard, failureDetail } from './dashboard';
import { dashboardDeps } from './deps';
import { dashboardRouteHeads as heads } from './route-heads';

/** API routes by operationId; functions/dashboard-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  getDashboard: defineApiRoute({
    ...heads.getDashboard,
    summary: 'Transactions by integration type, errors by code, daily trends and the failures table',
    description:
      'Read from pre-aggregated counters and the failure groups, never from events: the cost depends on `days` and the number of distinct failures, not on volume (docs/dashboard.md).',
    tags: ['Dashboard'],
    query: dashboardQuery,
    responses: { 200: { description: 'The dashboard of the period.', schema: dashboardSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await buildDashboard(
        dashboardDeps(),
        principal.tenantId,
        { days: query.days, types: query.types },
        nowMs(),
      ),
    }),
  }),
  getDashboardFailure: defineApiRoute({
    ...heads.getDashboardFailure,
    summary: 'One row of the failures table with examples and links',
    tags: ['Dashboard'],
    params: failureParams,
    query: failureDetailQuery,
    responses: { 200: { description: 'The failure group.', schema: failureDetailSchema } },
    handle: async ({ principal, params, query }) => ({
      status: 200,
      body: await failureDetail(dashboardDeps(), principal.tenantId, params.id, query.days, nowMs()),
    }),
  }),
};
