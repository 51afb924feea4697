import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { failuresRouteHeads } from '../shared/failures/route-heads';
import { eventRouteHeads } from '../shared/inbound/route-heads';
import { replayRouteHeads } from '../shared/replay/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/inbound/event-routes').then((m) => m.routes);
const failureRoutes = () => import('../shared/failures/routes').then((m) => m.routes);
const replayRoutes = () => import('../shared/replay/routes').then((m) => m.routes);

/** Each head is written once, in its capability's route-heads.ts (data only); order as before. */
app.http(eventRouteHeads.listEvents.name, lazyApiRoute(routes, eventRouteHeads.listEvents));
app.http(eventRouteHeads.getEvent.name, lazyApiRoute(routes, eventRouteHeads.getEvent));
app.http(failuresRouteHeads.listFailures.name, lazyApiRoute(failureRoutes, failuresRouteHeads.listFailures));
app.http(replayRouteHeads.replayEvent.name, lazyApiRoute(replayRoutes, replayRouteHeads.replayEvent));
app.http(replayRouteHeads.replayEvents.name, lazyApiRoute(replayRoutes, replayRouteHeads.replayEvents));
