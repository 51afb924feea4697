import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { dashboardRouteHeads } from '../shared/dashboard/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/dashboard/routes').then((m) => m.routes);

app.http(dashboardRouteHeads.getDashboard.name, lazyApiRoute(routes, dashboardRouteHeads.getDashboard));
app.http(dashboardRouteHeads.getDashboardFailure.name, lazyApiRoute(routes, dashboardRouteHeads.getDashboardFailure));
