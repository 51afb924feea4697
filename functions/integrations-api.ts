import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { integrationsRouteHeads } from '../shared/integrations/route-heads';
import { probesRouteHeads } from '../shared/probes/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/integrations/routes').then((m) => m.routes);
const healthRoutes = () => import('../shared/probes/routes').then((m) => m.routes);

/** Each head is written once, in its capability's route-heads.ts (data only); order as before. */
app.http(integrationsRouteHeads.createIntegration.name, lazyApiRoute(routes, integrationsRouteHeads.createIntegration));
app.http(integrationsRouteHeads.testConnection.name, lazyApiRoute(routes, integrationsRouteHeads.testConnection));
app.http(integrationsRouteHeads.listIntegrations.name, lazyApiRoute(routes, integrationsRouteHeads.listIntegrations));
app.http(probesRouteHeads.getIntegrationStatus.name, lazyApiRoute(healthRoutes, probesRouteHeads.getIntegrationStatus));
app.http(integrationsRouteHeads.getIntegration.name, lazyApiRoute(routes, integrationsRouteHeads.getIntegration));
app.http(integrationsRouteHeads.updateIntegration.name, lazyApiRoute(routes, integrationsRouteHeads.updateIntegration));
app.http(integrationsRouteHeads.deleteIntegration.name, lazyApiRoute(routes, integrationsRouteHeads.deleteIntegration));
app.http(integrationsRouteHeads.testIntegration.name, lazyApiRoute(routes, integrationsRouteHeads.testIntegration));
app.http(probesRouteHeads.getIntegrationHealth.name, lazyApiRoute(healthRoutes, probesRouteHeads.getIntegrationHealth));
app.http(probesRouteHeads.recheckIntegration.name, lazyApiRoute(healthRoutes, probesRouteHeads.recheckIntegration));
