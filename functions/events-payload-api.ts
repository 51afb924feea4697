import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { payloadErasureRouteHeads } from '../shared/payload-erasure/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/payload-erasure/routes').then((m) => m.routes);

/** Each head is written once, in shared/payload-erasure/route-heads.ts (data only). */
for (const head of Object.values(payloadErasureRouteHeads)) app.http(head.name, lazyApiRoute(routes, head));
