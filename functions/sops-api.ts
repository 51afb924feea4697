import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/sops/routes').then((m) => m.routes);

app.http(
  'sops-create',
  lazyApiRoute(routes, { method: 'POST', route: 'v1/sops', scope: 'sops:write', operationId: 'createSop' }),
);

app.http(
  'sops-list',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/sops', scope: 'sops:read', operationId: 'listSops' }),
);

app.http(
  'sops-match-preview',
  lazyApiRoute(routes, { method: 'POST', route: 'v1/sops/match', scope: 'sops:read', operationId: 'previewSopMatch' }),
);

app.http(
  'sops-get',
  lazyApiRoute(routes, { method: 'GET', route: 'v1/sops/{id}', scope: 'sops:read', operationId: 'getSop' }),
);

app.http(
  'sops-replace',
  lazyApiRoute(routes, { method: 'PUT', route: 'v1/sops/{id}', scope: 'sops:write', operationId: 'replaceSop' }),
);

app.http(
  'sops-delete',
  lazyApiRoute(routes, { method: 'DELETE', route: 'v1/sops/{id}', scope: 'sops:write', operationId: 'deleteSop' }),
);
