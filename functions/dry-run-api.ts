import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { dryRunRouteHeads } from '../shared/dry-run/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/dry-run/routes').then((m) => m.routes);

/** Each head is written once, in shared/dry-run/route-heads.ts (data only, so loading it is cheap). */
for (const head of Object.values(dryRunRouteHeads)) app.http(head.name, lazyApiRoute(routes, head));
