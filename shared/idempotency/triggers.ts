import { logger } from '../observability/logger';
import { idempotencyDeps } from './deps';
import { purgeExpiredKeys } from './housekeeping';

/**
 * What functions/idempotency-housekeeping-timer.ts runs, imported on the first invocation
 * (docs/decisions.md §38); the entry registers it with IDEMPOTENCY_PURGE_SCHEDULE.
 */
export async function purge(): Promise<void> {
  const result = await purgeExpiredKeys(idempotencyDeps());
  logger.info('idempotency keys purged', { ...result });
}
