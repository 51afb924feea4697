import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/vendors/routes').then((m) => m.routes);

app.http(
  'vendors-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/vendors', scope: 'integrations:read', operationId: 'listVendors' }),
);
