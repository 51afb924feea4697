import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { integrationOnboardingRouteHeads } from '../shared/integrations/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/integrations/onboarding-routes').then((m) => m.routes);

app.http(
  integrationOnboardingRouteHeads.listGdapCustomers.name,
  lazyApiRoute(routes, integrationOnboardingRouteHeads.listGdapCustomers),
);

app.http(
  integrationOnboardingRouteHeads.onboardGdapCustomers.name,
  lazyApiRoute(routes, integrationOnboardingRouteHeads.onboardGdapCustomers),
);
