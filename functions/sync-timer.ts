import { app } from '@azure/functions';

/**
 * Every 15 minutes: incremental syncs of the integrations that asked for them, and the sweep of
 * stalled runs (docs/sync.md, "The timer").
 */
app.timer('sync-timer', {
  schedule: '0 */15 * * * *',
  handler: async () => (await import('../shared/sync/triggers')).syncTimer(),
});
