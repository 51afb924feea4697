import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/reconcile/routes').then((m) => m.routes);

app.http(
  'integrations-reconcile',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/integrations/{id}/reconcile',
    scope: 'integrations:read',
    operationId: 'reconcileIntegration',
  }),
);

app.http(
  'integrations-reconcile-apply',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/integrations/{id}/reconcile/apply',
    scope: 'integrations:write',
    operationId: 'applyReconcile',
  }),
);

/** Weekly, Mondays 03:41 UTC (RECONCILE_SCHEDULE): the read-only diff for every integration (docs/reconcile.md). */
app.timer('reconcile-weekly-timer', {
  schedule: '0 41 3 * * 1',
  handler: async () => (await import('../shared/reconcile/triggers')).reconcileEveryIntegration(),
});
