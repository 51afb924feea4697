import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { subscriptionRouteHeads } from '../shared/outbound/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/outbound/subscription-routes').then((m) => m.routes);

/** Each head is written once, in shared/outbound/route-heads.ts (data only, so loading it is cheap). */
for (const head of Object.values(subscriptionRouteHeads)) app.http(head.name, lazyApiRoute(routes, head));
