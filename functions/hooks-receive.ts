import { app } from '@azure/functions';
import { loadOnFirstCall } from '../shared/sdk/load-on-first-use';

/** Vendor deliveries: anonymous at the host, verified by our own signature check (DESIGN §9.6). */
app.http('hooks-receive', {
  route: 'hooks/{webhookId}',
  methods: ['POST'],
  authLevel: 'anonymous',
  // The handler and the inbound code behind it are imported on the first delivery (docs/decisions.md §38).
  handler: loadOnFirstCall(async () => (await import('../shared/http/receive-hook')).receiveHook),
});
