import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/http/api-route';

/** Definitions (schemas, OpenAPI text, handlers) in shared/vendors/routes.ts, imported on the first request. */
const routes = () => import('../shared/vendors/routes').then((m) => m.routes);

app.http(
  'vendors-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/vendors', scope: 'integrations:read', operationId: 'listVendors' }),
);
