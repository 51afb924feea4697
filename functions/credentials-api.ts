import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { operatorRouteHeads } from '../shared/integrations/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/integrations/operator-routes').then((m) => m.routes);

/**
 * Step 3 of docs/runbooks/credential-key-rotation.md without data-plane access from a laptop: the
 * operator asks the app to rewrite every integration's credentials under the primary key. Safe to
 * call again (rows already under the primary are skipped); `npm run reencrypt-credentials` does the
 * same from a shell.
 */
/** Each head is written once, in shared/integrations/route-heads.ts (data only, so loading it is cheap). */
for (const head of Object.values(operatorRouteHeads)) app.http(head.name, lazyApiRoute(routes, head));
