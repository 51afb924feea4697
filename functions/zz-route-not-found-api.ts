import { app } from '@azure/functions';
import { loadOnFirstCall } from '../shared/sdk/load-on-first-use';

/**
 * The catch-all: every /api path and method no other function serves gets the documented
 * problem+json 404 `route_not_found` or 405 `method_not_allowed` (with Allow) instead of the
 * host's empty 404. The host tries routes in function-name order, so this name must sort after
 * every other HTTP function's (test/integration/route-precedence.test.ts holds it there; docs/decisions.md §44).
 * Route and methods are restated here because the host reads them before any code loads.
 */
app.http('zz-route-not-found', {
  route: '{*path}',
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
  authLevel: 'anonymous',
  handler: loadOnFirstCall(async () => (await import('../shared/api/fallback-route')).routeNotFound),
});
