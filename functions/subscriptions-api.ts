import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/outbound/subscription-routes').then((m) => m.routes);

app.http(
  'subscriptions-create',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/subscriptions',
    scope: 'subscriptions:write',
    operationId: 'createSubscription',
  }),
);

app.http(
  'subscriptions-list',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/subscriptions',
    scope: 'subscriptions:read',
    operationId: 'listSubscriptions',
  }),
);

app.http(
  'subscriptions-get',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/subscriptions/{id}',
    scope: 'subscriptions:read',
    operationId: 'getSubscription',
  }),
);

app.http(
  'subscriptions-update',
  lazyApiRoute(routes, {
    method: 'PATCH',
    route: 'v1/subscriptions/{id}',
    scope: 'subscriptions:write',
    operationId: 'updateSubscription',
  }),
);

app.http(
  'subscriptions-delete',
  lazyApiRoute(routes, {
    method: 'DELETE',
    route: 'v1/subscriptions/{id}',
    scope: 'subscriptions:write',
    operationId: 'deleteSubscription',
  }),
);

app.http(
  'subscriptions-rotate-secret',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/subscriptions/{id}/rotate-secret',
    scope: 'subscriptions:write',
    operationId: 'rotateSubscriptionSecret',
  }),
);
