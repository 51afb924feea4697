import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/apikeys/routes').then((m) => m.routes);

app.http(
  'api-keys-create',
  lazyApiRoute(routes, { method: 'POST', route: 'v1/api-keys', scope: 'apikeys:write', operationId: 'createApiKey' }),
);

app.http(
  'api-keys-list',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/api-keys', scope: 'apikeys:write', operationId: 'listApiKeys' }),
);

app.http(
  'api-keys-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/api-keys/{id}', scope: 'apikeys:write', operationId: 'getApiKey' }),
);

app.http(
  'api-keys-revoke',
  lazyApiRoute(routes, {
    method: 'DELETE',
    route: 'v1/api-keys/{id}',
    scope: 'apikeys:write',
    operationId: 'revokeApiKey',
  }),
);
