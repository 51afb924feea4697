import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { consoleRouteHeads as heads } from '../shared/console/route-heads';

/** The console page and its script and stylesheet; definitions imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/console/routes').then((m) => m.routes);

for (const head of Object.values(heads)) app.http(head.name, lazyApiRoute(routes, head));
