import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/integrations/routes').then((m) => m.routes);
const healthRoutes = () => import('../shared/probes/routes').then((m) => m.routes);

app.http(
  'integrations-create',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/integrations',
    scope: 'integrations:write',
    operationId: 'createIntegration',
  }),
);

app.http(
  'integrations-test-unsaved',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/integrations/test',
    scope: 'integrations:write',
    operationId: 'testConnection',
  }),
);

app.http(
  'integrations-list',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/integrations',
    scope: 'integrations:read',
    operationId: 'listIntegrations',
  }),
);

// Named to sort before integrations-get: the host tries routes in function-name order and the first
// match wins, so `v1/integrations/{id}` must not come first (docs/decisions.md §44).
app.http(
  'integrations-all-status',
  lazyApiRoute(healthRoutes, {
    method: 'GET',
    route: 'v1/integrations/status',
    scope: 'integrations:read',
    operationId: 'getIntegrationStatus',
  }),
);

app.http(
  'integrations-get',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/integrations/{id}',
    scope: 'integrations:read',
    operationId: 'getIntegration',
  }),
);

app.http(
  'integrations-update',
  lazyApiRoute(routes, {
    method: 'PATCH',
    route: 'v1/integrations/{id}',
    scope: 'integrations:write',
    operationId: 'updateIntegration',
  }),
);

app.http(
  'integrations-delete',
  lazyApiRoute(routes, {
    method: 'DELETE',
    route: 'v1/integrations/{id}',
    scope: 'integrations:write',
    operationId: 'deleteIntegration',
  }),
);

app.http(
  'integrations-test-saved',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/integrations/{id}/test',
    scope: 'integrations:write',
    operationId: 'testIntegration',
  }),
);

app.http(
  'integrations-health',
  lazyApiRoute(healthRoutes, {
    method: 'GET',
    route: 'v1/integrations/{id}/health',
    scope: 'integrations:read',
    operationId: 'getIntegrationHealth',
  }),
);

app.http(
  'integrations-recheck',
  lazyApiRoute(healthRoutes, {
    method: 'POST',
    route: 'v1/integrations/{id}/recheck',
    scope: 'integrations:write',
    operationId: 'recheckIntegration',
  }),
);
