import { app } from '@azure/functions';
import * as df from '../shared/sdk/durable-functions';

/** Hourly: purge finished Durable instances past OUTBOUND_RETENTION_DAYS from the task hub (shared/outbound/durable-purge.ts). */
app.timer('durable-purge', {
  schedule: '0 17 * * * *',
  extraInputs: [df.input.durableClient()],
  handler: async (_timer, context) => (await import('../shared/outbound/durable-purge')).durablePurgeTimer(context),
});
