import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { routingRouteHeads } from '../shared/routing/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/routing/routes').then((m) => m.routes);

/** Each head is written once, in shared/routing/route-heads.ts (data only, so loading it is cheap). */
for (const head of Object.values(routingRouteHeads)) app.http(head.name, lazyApiRoute(routes, head));
