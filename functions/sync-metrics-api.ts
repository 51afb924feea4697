import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { syncMetricsRouteHeads as heads } from '../shared/sync/route-heads';

/** The definition, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/sync/metrics-routes').then((m) => m.routes);

for (const head of Object.values(heads)) app.http(head.name, lazyApiRoute(routes, head));
