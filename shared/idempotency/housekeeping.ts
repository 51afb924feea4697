import { nowMs } from '../clock';
import { ConflictError } from '../storage/errors';
import { timeBucket, timeBucketsBetween, unescapeKey } from '../storage/keys';
import type { IdempotencyDeps } from './claims';

/** Hourly, off the hour the other housekeeping timers use (functions/idempotency-housekeeping-timer.ts). */
export const IDEMPOTENCY_PURGE_SCHEDULE = '0 29 * * * *';
/** How far back the purge walks day partitions: a timer stopped longer than this leaves rows behind. */
const LOOKBACK_DAYS = 14;
const DAY_MS = 86_400_000;

export interface PurgeResult {
  keys: number;
  days: number;
}

/**
 * Deletes keys whose retention has passed, walking the `idempotencydays` partitions of past days
 * (each names the keys that expire that day). A key claimed again after expiring has a later
 * expiry and its own day row, so a row is deleted only when the key it names has expired, under
 * its ETag. Nothing depends on the purge: claimKey treats an expired key as absent either way.
 */
export async function purgeExpiredKeys(deps: IdempotencyDeps): Promise<PurgeResult> {
  const now = nowMs();
  const today = timeBucket(now, 'day');
  const result: PurgeResult = { keys: 0, days: 0 };
  for (const day of timeBucketsBetween(now - LOOKBACK_DAYS * DAY_MS, now, 'day')) {
    if (day >= today) continue;
    for await (const row of deps.tables.days.iterate(day)) {
      const split = row.rowKey.indexOf('|');
      const partition = unescapeKey(row.rowKey.slice(0, split));
      const key = row.rowKey.slice(split + 1);
      const stored = await deps.tables.keys.get(partition, key);
      if (stored && Date.parse(stored.value.expiresAt) <= now) {
        // A ConflictError: the key was claimed again meanwhile; its new day row covers it.
        const deleted = await deps.tables.keys.delete(partition, key, stored.etag).catch((error: unknown) => {
          if (error instanceof ConflictError) return false;
          throw error;
        });
        if (deleted) result.keys += 1;
      }
      await deps.tables.days.delete(day, row.rowKey);
    }
    result.days += 1;
  }
  return result;
}
