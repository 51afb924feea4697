import { app } from '@azure/functions';
import { settings } from '../shared/config/settings';
import { pushDeps, receiveDeps } from '../shared/inbound/deps';
import { EVENTS_RETENTION_SCHEDULE, purgeExpiredEvents } from '../shared/inbound/retention';
import { STUCK_SWEEP_SCHEDULE, sweepStuckEvents } from '../shared/inbound/stuck-events';
import { RENEWAL_SCHEDULE, renewVendorRegistrations } from '../shared/inbound/vendor-push';

/** Inbound housekeeping timers (shared/inbound/retention.ts, stuck-events.ts, vendor-push.ts; docs/pipeline.md). */
app.timer('events-retention', {
  schedule: EVENTS_RETENTION_SCHEDULE,
  handler: async () => {
    await purgeExpiredEvents({ retentionDays: settings().EVENT_RETENTION_DAYS });
  },
});

app.timer('events-stuck-sweep', {
  schedule: STUCK_SWEEP_SCHEDULE,
  handler: async () => {
    await sweepStuckEvents(receiveDeps(), { stuckMinutes: settings().STUCK_EVENT_MINUTES });
  },
});

/** Hourly: Graph subscriptions pushed for webhooks are renewed before their expirationDateTime. */
app.timer('webhooks-renewal', {
  schedule: RENEWAL_SCHEDULE,
  handler: async () => {
    await renewVendorRegistrations(pushDeps());
  },
});
