import { app } from '@azure/functions';
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
