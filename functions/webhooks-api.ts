import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/inbound/webhook-routes').then((m) => m.routes);

app.http(
  'webhooks-create',
  lazyApiRoute(routes, { method: 'POST', route: 'v1/webhooks', scope: 'webhooks:write', operationId: 'createWebhook' }),
);

app.http(
  'webhooks-list',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/webhooks', scope: 'webhooks:read', operationId: 'listWebhooks' }),
);

app.http(
  'webhooks-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/webhooks/{id}', scope: 'webhooks:read', operationId: 'getWebhook' }),
);

app.http(
  'webhooks-delete',
  lazyApiRoute(routes, {
    method: 'DELETE',
    route: 'v1/webhooks/{id}',
    scope: 'webhooks:write',
    operationId: 'deleteWebhook',
  }),
);

app.http(
  'webhooks-disable',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/webhooks/{id}/disable',
    scope: 'webhooks:write',
    operationId: 'disableWebhook',
  }),
);

app.http(
  'webhooks-enable',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/webhooks/{id}/enable',
    scope: 'webhooks:write',
    operationId: 'enableWebhook',
  }),
);

app.http(
  'webhooks-rotate-secret',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/webhooks/{id}/rotate-secret',
    scope: 'webhooks:write',
    operationId: 'rotateWebhookSecret',
  }),
);

app.http(
  'webhooks-push',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/webhooks/{id}/push',
    scope: 'webhooks:write',
    operationId: 'pushWebhook',
  }),
);
