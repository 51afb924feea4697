import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/inbound/event-routes').then((m) => m.routes);
const failureRoutes = () => import('../shared/failures/routes').then((m) => m.routes);
const replayRoutes = () => import('../shared/replay/routes').then((m) => m.routes);

app.http(
  'events-list',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/events', scope: 'events:read', operationId: 'listEvents' }),
);

app.http(
  'events-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/events/{id}', scope: 'events:read', operationId: 'getEvent' }),
);

app.http(
  'failures-list',
  lazyApiRoute(failureRoutes, {
    method: 'GET',
    route: 'v1/failures',
    scope: 'events:read',
    operationId: 'listFailures',
  }),
);

app.http(
  'events-replay',
  lazyApiRoute(replayRoutes, {
    method: 'POST',
    route: 'v1/events/{id}/replay',
    scope: 'events:replay',
    operationId: 'replayEvent',
  }),
);

app.http(
  'events-replay-bulk',
  lazyApiRoute(replayRoutes, {
    method: 'POST',
    route: 'v1/events/replay',
    scope: 'events:replay',
    operationId: 'replayEvents',
  }),
);
