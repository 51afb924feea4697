import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { oauthRouteHeads } from '../shared/oauth/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/oauth/routes').then((m) => m.routes);

for (const head of Object.values(oauthRouteHeads)) app.http(head.name, lazyApiRoute(routes, head));
