import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/tenants/routes').then((m) => m.routes);

app.http(
  'tenants-create',
  lazyApiRoute(routes, { method: 'POST', route: 'v1/tenants', scope: 'operator', operationId: 'createTenant' }),
);

app.http(
  'tenants-list',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/tenants', scope: 'operator', operationId: 'listTenants' }),
);

app.http(
  'tenants-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/tenants/{id}', scope: 'operator', operationId: 'getTenant' }),
);

app.http(
  'tenants-disable',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/tenants/{id}/disable',
    scope: 'operator',
    operationId: 'disableTenant',
  }),
);

app.http(
  'tenants-enable',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/tenants/{id}/enable',
    scope: 'operator',
    operationId: 'enableTenant',
  }),
);
