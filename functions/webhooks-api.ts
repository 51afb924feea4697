import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { webhookRouteHeads } from '../shared/inbound/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/inbound/webhook-routes').then((m) => m.routes);

/** Each head is written once, in shared/inbound/route-heads.ts (data only, so loading it is cheap). */
for (const head of Object.values(webhookRouteHeads)) app.http(head.name, lazyApiRoute(routes, head));
