import { defineApiRoute, problemSchema } from '../api/api-route';
import { integrationIdParams } from '../integrations/api-schemas';
import {
  probeHistoryPageSchema,
  probeHistoryQuery,
  recheckQuery,
  recheckSchema,
  statusReportSchema,
} from './api-schemas';
import { statusDeps } from './deps';
import { probesRouteHeads as heads } from './route-heads';
import { integrationProbeHistory, integrationStatusReport, recheckAndWait, recheckIntegration } from './status';

const TAGS = ['Integrations'];
const notFound = { description: 'No such integration in this tenant.', schema: problemSchema };

/**
 * The probes' routes by operationId: the status page, one integration's probe history and the
 * recheck button. functions/integrations-api.ts registers each beside the integration routes
 * (docs/decisions.md §38).
 */
export const routes = {
  getIntegrationStatus: defineApiRoute({
    ...heads.getIntegrationStatus,
    summary: 'Summary cards and the health of every integration',
    tags: TAGS,
    responses: { 200: { description: 'The status report.', schema: statusReportSchema } },
    handle: async ({ principal }) => ({
      status: 200,
      body: await integrationStatusReport(statusDeps(), principal.tenantId),
    }),
  }),
  getIntegrationHealth: defineApiRoute({
    ...heads.getIntegrationHealth,
    summary: 'Probe history of one integration (rolling 24 h)',
    tags: TAGS,
    params: integrationIdParams,
    query: probeHistoryQuery,
    responses: { 200: { description: 'Newest first.', schema: probeHistoryPageSchema }, 404: notFound },
    handle: async ({ principal, params, query }) => ({
      status: 200,
      body: await integrationProbeHistory(statusDeps(), principal.tenantId, params.id, query.hours),
    }),
  }),
  recheckIntegration: defineApiRoute({
    ...heads.recheckIntegration,
    summary: 'Probe one integration now; with ?wait=N, answer with its verdict',
    description:
      'Without `wait` the probe is queued and its result shows in the status within seconds. With `wait` (at most 20 s) the call answers when the probe has settled (200) or the wait is over (202, `settled: false`).',
    tags: TAGS,
    params: integrationIdParams,
    query: recheckQuery,
    responses: {
      200: { description: 'With `wait`: the probe settled; `status` is its verdict.', schema: recheckSchema },
      202: { description: 'Probe queued (or, with `wait`, still running).', schema: recheckSchema },
      404: notFound,
    },
    handle: async ({ principal, params, query }) => {
      if (query.wait === undefined || query.wait === 0) {
        return { status: 202, body: await recheckIntegration(statusDeps(), principal.tenantId, params.id) };
      }
      const result = await recheckAndWait(statusDeps(), principal.tenantId, params.id, query.wait);
      return { status: result.settled ? 200 : 202, body: result };
    },
  }),
};
