import { app } from '@azure/functions';

/** The handler, imported on the first invocation (docs/decisions.md §38). */
const housekeeping = () => import('../shared/routing/triggers');

/** Hourly: routing errors whose day is older than EVENT_RETENTION_DAYS are deleted (shared/routing/retention.ts). */
app.timer('routing-errors-retention', {
  schedule: '0 47 * * * *',
  handler: async () => (await housekeeping()).retention(),
});
