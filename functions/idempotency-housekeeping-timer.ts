import { app } from '@azure/functions';

/** The handler, imported on the first invocation (docs/decisions.md §38). */
const housekeeping = () => import('../shared/idempotency/triggers');

/** Hourly: Idempotency-Keys past IDEMPOTENCY_KEY_RETENTION_HOURS are deleted (shared/idempotency/housekeeping.ts). */
app.timer('idempotency-keys-purge', {
  schedule: '0 29 * * * *',
  handler: async () => (await housekeeping()).purge(),
});
