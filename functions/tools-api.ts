import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/tools/routes').then((m) => m.routes);

app.http(
  'tools-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/tools', scope: 'sops:read', operationId: 'listTools' }),
);
