import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { errorCatalogRouteHeads } from '../shared/error-catalog/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/error-catalog/routes').then((m) => m.routes);

app.http(errorCatalogRouteHeads.listErrorCatalog.name, lazyApiRoute(routes, errorCatalogRouteHeads.listErrorCatalog));
app.http(
  errorCatalogRouteHeads.getErrorCatalogEntry.name,
  lazyApiRoute(routes, errorCatalogRouteHeads.getErrorCatalogEntry),
);
