import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { metaRouteHeads as heads } from '../shared/api/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/api/meta-routes').then((m) => m.routes);

app.http(heads.getHealth.name, lazyApiRoute(routes, heads.getHealth));
app.http(heads.getOpenApi.name, lazyApiRoute(routes, heads.getOpenApi));
app.http(heads.getApiReference.name, lazyApiRoute(routes, heads.getApiReference));
app.http(heads.getEgress.name, lazyApiRoute(routes, heads.getEgress));
