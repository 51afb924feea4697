import { app } from '@azure/functions';
import { agentsRouteHeads } from '../shared/agents/route-heads';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/agents/routes').then((m) => m.routes);

/** Each head is written once, in shared/agents/route-heads.ts (data only, so loading it is cheap). */
for (const head of Object.values(agentsRouteHeads)) app.http(head.name, lazyApiRoute(routes, head));
