import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/approvals/routes').then((m) => m.routes);

app.http(
  'approvals-list',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/approvals', scope: 'approvals:read', operationId: 'listApprovals' }),
);

app.http(
  'approvals-get',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/approvals/{id}',
    scope: 'approvals:read',
    operationId: 'getApproval',
  }),
);

for (const decision of ['approve', 'reject'] as const) {
  app.http(
    `approvals-${decision}`,
    lazyApiRoute(routes, {
      method: 'POST',
      route: `v1/approvals/{id}/${decision}`,
      scope: 'approvals:write',
      operationId: `${decision}Approval`,
    }),
  );
}
