import { app } from '@azure/functions';

/** The handlers, imported on the first invocation (docs/decisions.md §38). */
const housekeeping = () => import('../shared/inbound/triggers');

/** Inbound housekeeping timers (shared/inbound/retention.ts, stuck-events.ts, vendor-push.ts; docs/pipeline.md). */
app.timer('events-retention', {
  schedule: '0 41 * * * *',
  handler: async () => (await housekeeping()).retention(),
});

app.timer('events-stuck-sweep', {
  schedule: '0 7,22,37,52 * * * *',
  handler: async () => (await housekeeping()).stuckSweep(),
});

/** Hourly: Graph subscriptions pushed for webhooks are renewed before their expirationDateTime. */
app.timer('webhooks-renewal', {
  schedule: '0 17 * * * *',
  handler: async () => (await housekeeping()).renewal(),
});
