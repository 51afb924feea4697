import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/audit-trail/routes').then((m) => m.routes);

app.http(
  'audit-list',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/audit', scope: 'admin', operationId: 'listAudit' }),
);

// `v1/tenants/audit` must be tried before `v1/tenants/{id}` (tenants-get): the host tries routes in
// function-name order, and `audit-…` sorts before `tenants-…` (docs/decisions.md §44).
app.http(
  'audit-operator-list',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/tenants/audit',
    scope: 'operator',
    operationId: 'listOperatorAudit',
  }),
);
