import { settings } from '../config/settings';
import { logger } from '../observability/logger';
import { routingDeps } from './deps';
import { purgeExpiredRoutingErrors } from './retention';

/**
 * What functions/routing-housekeeping-timer.ts runs, imported on the first invocation
 * (docs/decisions.md §38); the entry registers it with ROUTING_RETENTION_SCHEDULE.
 */
export async function retention(): Promise<void> {
  const result = await purgeExpiredRoutingErrors(routingDeps(), { retentionDays: settings().EVENT_RETENTION_DAYS });
  logger.info('routing errors purged', { ...result });
}
