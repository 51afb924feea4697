import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { reconcileRouteHeads } from '../shared/reconcile/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/reconcile/routes').then((m) => m.routes);

app.http(reconcileRouteHeads.reconcileIntegration.name, lazyApiRoute(routes, reconcileRouteHeads.reconcileIntegration));

app.http(reconcileRouteHeads.applyReconcile.name, lazyApiRoute(routes, reconcileRouteHeads.applyReconcile));

/** Weekly, Mondays 03:41 UTC (RECONCILE_SCHEDULE): the read-only diff for every integration (docs/reconcile.md). */
app.timer('reconcile-weekly-timer', {
  schedule: '0 41 3 * * 1',
  handler: async () => (await import('../shared/reconcile/triggers')).reconcileEveryIntegration(),
});
