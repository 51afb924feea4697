import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/dashboard/routes').then((m) => m.routes);

app.http(
  'dashboard-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/dashboard', scope: 'events:read', operationId: 'getDashboard' }),
);
app.http(
  'dashboard-get-failure',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/dashboard/failures/{id}',
    scope: 'events:read',
    operationId: 'getDashboardFailure',
  }),
);
