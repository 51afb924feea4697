import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/http/api-route';

/** Definitions (schemas, OpenAPI text, handlers) in shared/tools/routes.ts, imported on the first request. */
const routes = () => import('../shared/tools/routes').then((m) => m.routes);

app.http(
  'tools-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/tools', scope: 'sops:read', operationId: 'listTools' }),
);
