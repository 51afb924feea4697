import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { publishRouteHeads } from '../shared/outbound/route-heads';
import * as df from '../shared/sdk/durable-functions';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/outbound/publish-routes').then((m) => m.routes);

/** The durable client binding starts the deliveries' orchestrations (the handler reads it from its context). */
const head = publishRouteHeads.publishEvent;
app.http(head.name, {
  ...lazyApiRoute(routes, head),
  extraInputs: [df.input.durableClient()],
});
