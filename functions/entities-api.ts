import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { entityRouteHeads as heads } from '../shared/entities/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/entities/routes').then((m) => m.routes);

for (const head of Object.values(heads)) app.http(head.name, lazyApiRoute(routes, head));
