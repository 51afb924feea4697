import { app } from '@azure/functions';
import { registerOpenApiPath } from '../shared/http/openapi';
import { recordHttpRoute } from '../shared/http/route-table';
import { loadOnFirstCall } from '../shared/sdk/load-on-first-use';

const route = 'hooks/{webhookId}';
const methods = ['POST'] as const;

/** Vendor deliveries: anonymous at the host, verified by our own signature check (docs/webhooks-receiving.md). */
app.http('hooks-receive', {
  route,
  methods: [...methods],
  authLevel: 'anonymous',
  // The handler and the inbound code behind it are imported on the first delivery (docs/decisions.md §38).
  handler: loadOnFirstCall(async () => (await import('../shared/inbound/receive-hook')).receiveHook),
});
// So the catch-all answers GET /api/hooks/{id} with 405 and Allow: POST (docs/decisions.md §44).
recordHttpRoute(route, methods);

// Autotask reports a deactivated TicketWebhook here, unsigned: the token in the URL authenticates it.
const deactivatedRoute = 'hooks/{webhookId}/deactivated/{token}';
app.http('hooks-deactivated', {
  route: deactivatedRoute,
  methods: [...methods],
  authLevel: 'anonymous',
  handler: loadOnFirstCall(async () => (await import('../shared/inbound/receive-hook')).receiveVendorDeactivation),
});
recordHttpRoute(deactivatedRoute, methods);
registerOpenApiPath(() => import('../shared/inbound/receive-openapi').then((m) => m.deactivationHookPath));
// The route in the OpenAPI document, described where it is answered; loaded with the document.
registerOpenApiPath(() => import('../shared/inbound/receive-openapi').then((m) => m.receiveHookPath));
