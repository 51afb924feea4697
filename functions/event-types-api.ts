import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
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
