import type { RegisteredRouteHead } from '../api/api-route';

/**
 * The heads of shared/oauth/routes.ts, written once: functions/oauth-api.ts registers each under
 * `name` without loading the capability, and the definitions spread them. Data only
 * (docs/architecture.md, "Adding a route"). The callback is anonymous: the admin's browser lands
 * there from Halo, and only the state record it carries is trusted.
 */
export const oauthRouteHeads = {
  startAuthorisation: {
    name: 'integrations-oauth-authorize',
    method: 'POST',
    route: 'v1/integrations/{id}/oauth/authorize',
    scope: 'integrations:write',
    operationId: 'startAuthorisation',
  },
  completeAuthorisation: {
    name: 'oauth-halopsa-callback',
    method: 'GET',
    route: 'oauth/halopsa/callback',
    scope: null,
    operationId: 'completeAuthorisation',
  },
} as const satisfies Record<string, RegisteredRouteHead>;
