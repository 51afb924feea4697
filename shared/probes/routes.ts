import { defineApiRoute, problemSchema } from '../api/api-route';
import { integrationIdParams } from '../integrations/api-schemas';
import { probeHistoryPageSchema, probeHistoryQuery, recheckSchema, statusReportSchema } from './api-schemas';
import { statusDeps } from './deps';
import { integrationProbeHistory, integrationStatusReport, recheckIntegration } from './status';

const TAGS = ['Integrations'];
const notFound = { description: 'No such integration in this tenant.', schema: problemSchema };

/**
 * The probes' routes by operationId: the status page, one integration's probe history and the
 * recheck button. functions/integrations-api.ts registers each beside the integration routes
 * (docs/decisions.md §38).
 */
export const routes = {
  getIntegrationStatus: defineApiRoute({
    method: 'GET',
    route: 'v1/integrations/status',
    operationId: 'getIntegrationStatus',
    summary: 'Summary cards and the health of every integration',
    tags: TAGS,
    scope: 'integrations:read',
    responses: { 200: { description: 'The status report.', schema: statusReportSchema } },
    handle: async ({ principal }) => ({
      status: 200,
      body: await integrationStatusReport(statusDeps(), principal.tenantId),
    }),
  }),
  getIntegrationHealth: defineApiRoute({
    method: 'GET',
    route: 'v1/integrations/{id}/health',
    operationId: 'getIntegrationHealth',
    summary: 'Probe history of one integration (rolling 24 h)',
    tags: TAGS,
    scope: 'integrations:read',
    params: integrationIdParams,
    query: probeHistoryQuery,
    responses: { 200: { description: 'Newest first.', schema: probeHistoryPageSchema }, 404: notFound },
    handle: async ({ principal, params, query }) => ({
      status: 200,
      body: await integrationProbeHistory(statusDeps(), principal.tenantId, params.id, query.hours),
    }),
  }),
  recheckIntegration: defineApiRoute({
    method: 'POST',
    route: 'v1/integrations/{id}/recheck',
    operationId: 'recheckIntegration',
    summary: 'Probe one integration now (the result shows in status within seconds)',
    tags: TAGS,
    scope: 'integrations:write',
    params: integrationIdParams,
    responses: { 202: { description: 'Probe queued.', schema: recheckSchema }, 404: notFound },
    handle: async ({ principal, params }) => ({
      status: 202,
      body: await recheckIntegration(statusDeps(), principal.tenantId, params.id),
    }),
  }),
};
