import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/api/meta-routes').then((m) => m.routes);

app.http(
  'healthz-get',
  lazyApiRoute(routes, { method: 'GET', route: 'healthz', scope: null, operationId: 'getHealth' }),
);

app.http(
  'openapi-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/openapi.json', scope: null, operationId: 'getOpenApi' }),
);

app.http(
  'api-reference-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/docs', scope: null, operationId: 'getApiReference' }),
);
