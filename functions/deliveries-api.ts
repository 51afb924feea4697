import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/outbound/delivery-routes').then((m) => m.routes);

app.http(
  'deliveries-list',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/deliveries',
    scope: 'subscriptions:read',
    operationId: 'listDeliveries',
  }),
);

app.http(
  'deliveries-get',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/deliveries/{id}',
    scope: 'subscriptions:read',
    operationId: 'getDelivery',
  }),
);

app.http(
  'deliveries-retry',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/deliveries/{id}/retry',
    scope: 'subscriptions:write',
    operationId: 'retryDelivery',
  }),
);

app.http(
  'deliveries-retry-failed',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/deliveries/retry',
    scope: 'subscriptions:write',
    operationId: 'retryFailedDeliveries',
  }),
);
