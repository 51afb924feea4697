import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/integrations/operator-routes').then((m) => m.routes);

/**
 * Step 3 of docs/runbooks/credential-key-rotation.md without data-plane access from a laptop: the
 * operator asks the app to rewrite every integration's credentials under the primary key. Safe to
 * call again (rows already under the primary are skipped); `npm run reencrypt-credentials` does the
 * same from a shell.
 */
app.http(
  'credentials-reencrypt',
  lazyApiRoute(routes, {
    method: 'POST',
    route: 'v1/operator/credentials/reencrypt',
    scope: 'operator',
    operationId: 'reencryptCredentials',
  }),
);
