import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/integrations/onboarding-routes').then((m) => m.routes);

app.http(
  'integrations-gdap-customers',
  lazyApiRoute(routes, {
    method: 'GET',
    route: 'v1/integrations/{id}/gdap/customers',
    scope: 'integrations:read',
    operationId: 'listGdapCustomers',
  }),
);

app.http(
  'integrations-gdap-onboard',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/integrations/{id}/gdap/onboard',
    scope: 'integrations:write',
    operationId: 'onboardGdapCustomers',
  }),
);
