import type { OrchestrationRuntimeStatus } from 'durable-functions';
import { nowMs } from '../clock';
import { settings } from '../config/settings';
import { logger } from '../observability/logger';
import * as df from '../sdk/durable-functions';

/**
 * Task hub housekeeping. Retention (shared/outbound/retention.ts) deletes the app's own delivery
 * rows, but Durable Functions keeps every orchestration's history and instance row in the task hub
 * (`<hub>History`, `<hub>Instances`) until someone purges them. This timer asks the durable client
 * to purge finished instances — Completed, Failed, Terminated — created before the outbound
 * retention period, the same cutoff as the deliveries they ran for: a delivery's orchestration is
 * of no use once the delivery is gone. Running, pending and suspended instances are never asked for.
 * Locally the same call reaches the local engine's purge (local/durable/rpc-api.ts).
 */

/** NCRONTAB, seconds first: hourly at minute 17 (off the hour and off the other housekeeping timers). */
export const DURABLE_PURGE_SCHEDULE = '0 17 * * * *';

/**
 * The finished states; the extension's purge-by-filter takes them as `runtimeStatus`. The SDK's
 * enum is a runtime value of durable-functions, loaded only when a client is used; its string
 * values are these names, which is all the client sends.
 */
export const PURGED_STATUSES = ['Completed', 'Failed', 'Terminated'] as unknown as OrchestrationRuntimeStatus[];

/**
 * The one durable client call used (`DurableClient.purgeInstanceHistoryBy`). `createdTimeFrom` is
 * required by the extension's HTTP API (400 without it); a 404 (nothing matched) comes back from the
 * client as `instancesDeleted: 0`.
 */
export type DurablePurgeClient = Pick<df.DurableClient, 'purgeInstanceHistoryBy'>;

const DAY_MS = 86_400_000;

export async function purgeDurableHistory(
  client: DurablePurgeClient,
  retentionDays: number,
  now: number = nowMs(),
): Promise<{ instancesDeleted: number; createdBefore: string }> {
  const createdTimeTo = new Date(now - retentionDays * DAY_MS);
  const result = await client.purgeInstanceHistoryBy({
    createdTimeFrom: new Date(0),
    createdTimeTo,
    runtimeStatus: [...PURGED_STATUSES],
  });
  return { instancesDeleted: result.instancesDeleted, createdBefore: createdTimeTo.toISOString() };
}

/** The timer: the durable client comes from the registration's `durableClient` input binding. */
export async function durablePurgeTimer(context: Parameters<typeof df.getClient>[0]): Promise<void> {
  const result = await purgeDurableHistory(df.getClient(context), settings().OUTBOUND_RETENTION_DAYS);
  logger.info('durable task hub purged', result);
}
