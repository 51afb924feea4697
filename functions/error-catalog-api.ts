import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/error-catalog/routes').then((m) => m.routes);

app.http(
  'error-catalog-get',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/error-catalog',
    scope: 'events:read',
    operationId: 'listErrorCatalog',
  }),
);
app.http(
  'error-catalog-get-code',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/error-catalog/{code}',
    scope: 'events:read',
    operationId: 'getErrorCatalogEntry',
  }),
);
