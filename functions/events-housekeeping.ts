import { app } from '@azure/functions';
import { settings } from '../shared/config/settings';
import { receiveDeps } from '../shared/inbound/deps';
import { EVENTS_RETENTION_SCHEDULE, purgeExpiredEvents } from '../shared/inbound/retention';
import { STUCK_SWEEP_SCHEDULE, sweepStuckEvents } from '../shared/inbound/stuck-events';

/** Inbound housekeeping timers (shared/inbound/retention.ts, stuck-events.ts; docs/pipeline.md). */
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
