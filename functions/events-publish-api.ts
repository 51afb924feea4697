import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { publishRouteHeads } from '../shared/outbound/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/outbound/publish-routes').then((m) => m.routes);

// Publishing hands each delivery's first attempt to the `outbound-first-attempt` queue, so this
// route needs no durable client (docs/outbound.md).
const head = publishRouteHeads.publishEvent;
app.http(head.name, lazyApiRoute(routes, head));
