import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/http/api-route';

/** Definitions (schemas, OpenAPI text, handlers) in shared/integrations/operator-routes.ts, imported on the first request. */
const routes = () => import('../shared/integrations/operator-routes').then((m) => m.routes);

app.http(
  'credentials-reencrypt',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/operator/credentials/reencrypt',
    scope: 'operator',
    operationId: 'reencryptCredentials',
  }),
);
