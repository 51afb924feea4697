import { app } from '@azure/functions';
import { lazyApiRoute } from '../shared/api/api-route';
import { auditTrailRouteHeads } from '../shared/audit-trail/route-heads';

/** The definitions, imported on the first request (docs/decisions.md §38). */
const routes = () => import('../shared/audit-trail/routes').then((m) => m.routes);

app.http(auditTrailRouteHeads.listAudit.name, lazyApiRoute(routes, auditTrailRouteHeads.listAudit));

// `v1/tenants/audit` must be tried before `v1/tenants/{id}` (tenants-get): the host tries routes in
// function-name order, and `audit-…` sorts before `tenants-…` (docs/decisions.md §44).
app.http(auditTrailRouteHeads.listOperatorAudit.name, lazyApiRoute(routes, auditTrailRouteHeads.listOperatorAudit));
