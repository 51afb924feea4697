import { settings } from '../config/settings';
import { outboundDeps } from '../outbound/deps';
import { erasePayloadsPastTenantWindows } from '../payload-erasure/retention';
import { tenantDeps } from '../tenants/deps';
import { tenantsWithPayloadRetention } from '../tenants/tenants';
import { pushDeps, receiveDeps } from './deps';
import { purgeFilteredEvents } from './ingest-filter-retention';
import { purgeExpiredEvents } from './retention';
import { sweepStuckEvents } from './stuck-events';
import { renewVendorRegistrations } from './vendor-push';

/**
 * What functions/events-housekeeping-timer.ts runs, imported on the first invocation (docs/decisions.md
 * §38). The entry registers the timers with their schedules (EVENTS_RETENTION_SCHEDULE,
 * STUCK_SWEEP_SCHEDULE, RENEWAL_SCHEDULE; test/integration/lazy-registration.test.ts checks they agree).
 */
export async function retention(): Promise<void> {
  await purgeExpiredEvents({ retentionDays: settings().EVENT_RETENTION_DAYS });
  // Then the payloads of tenants that keep them shorter (shared/payload-erasure/retention.ts).
  await erasePayloadsPastTenantWindows({
    tenants: await tenantsWithPayloadRetention(tenantDeps()),
    platformDays: settings().EVENT_RETENTION_DAYS,
    outbound: { deps: outboundDeps(), retentionDays: settings().OUTBOUND_RETENTION_DAYS },
  });
  await purgeFilteredEvents({ retentionDays: settings().EVENT_RETENTION_DAYS });
}

export async function stuckSweep(): Promise<void> {
  await sweepStuckEvents(receiveDeps(), { stuckMinutes: settings().STUCK_EVENT_MINUTES });
}

export async function renewal(): Promise<void> {
  await renewVendorRegistrations(pushDeps());
}
