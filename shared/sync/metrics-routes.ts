import { processCounters } from '../analytics/deps';
import { defineApiRoute } from '../api/api-route';
import { nowMs } from '../clock/index';
import { routingAccuracy } from '../routing/accuracy';
import { routingDeps } from '../routing/deps';
import { syncDeps } from './deps';
import { type SyncMetricsDeps, syncMetrics } from './metrics';
import { syncMetricsQuery, syncMetricsSchema } from './metrics-schemas';
import { syncMetricsRouteHeads as heads } from './route-heads';

/** The sync tables, the dashboard's counters and routing, each through its owner's deps. */
function metricsDeps(): SyncMetricsDeps {
  return {
    runs: syncDeps().tables.runs,
    counters: processCounters(),
    routingAccuracy: (tenantId, days) => routingAccuracy(routingDeps(), tenantId, days),
  };
}

/** API routes by operationId; functions/sync-metrics-api.ts registers each (docs/decisions.md §38). */
export const routes = {
  getSyncMetrics: defineApiRoute({
    ...heads.getSyncMetrics,
    summary: 'Sync metrics: success rate, duration, records per second, errors, webhook delivery, routing accuracy',
    description:
      "Over today (UTC) and the `days - 1` days before it, the dashboard's days. Runs are those started in the period; see docs/sync-metrics.md for each number.",
    tags: ['Sync'],
    query: syncMetricsQuery,
    responses: { 200: { description: 'The metrics of the period.', schema: syncMetricsSchema } },
    handle: async ({ principal, query }) => ({
      status: 200,
      body: await syncMetrics(metricsDeps(), principal.tenantId, query.days, nowMs()),
    }),
  }),
};
