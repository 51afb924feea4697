import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/http/api-route';

/** Definitions (schemas, OpenAPI text, handlers) in shared/outbound/event-type-routes.ts, imported on the first request. */
const routes = () => import('../shared/outbound/event-type-routes').then((m) => m.routes);

app.http(
  'event-types-get',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/event-types',
    scope: 'subscriptions:read',
    operationId: 'listEventTypes',
  }),
);
