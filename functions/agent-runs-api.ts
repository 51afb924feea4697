import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/agents/routes').then((m) => m.routes);

app.http(
  'agent-runs-get',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/agent-runs/{id}',
    scope: 'events:read',
    operationId: 'getAgentRun',
  }),
);

app.http(
  'event-agent-runs-list',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/events/{id}/agent-runs',
    scope: 'events:read',
    operationId: 'listEventAgentRuns',
  }),
);
