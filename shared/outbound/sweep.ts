import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import { newestFirstIdTime, splitTenantPartition, tenantPartition, timeBucketsBetween } from '../storage/keys';
import { changeDelivery, readDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import type { DeliveryStarter } from './starter';
import { deliveryKeyPrefix, HOUSEKEEPING_SHARDS, retentionPartition, startMarkerRowKeyBefore } from './tables';

/**
 * The start sweep (a timer, every minute, with a durable client): deliveries still `pending` past
 * the grace period — a first-attempt message that was never sent (a crash between the rows and the
 * send, a failed send) or lost — and `retrying` ones whose orchestration never recorded its next
 * attempt (a worker that died after attempt 1) get their orchestration started. They are found
 * through the tenant-day rows of the last SWEEP_LOOKBACK_DAYS days and each tenant-day's status
 * index (a RowKey prefix), plus the start markers older code and the release of a resume write.
 * Each start reads the instance status first, so a delivery that did start is left alone; the
 * delivery is then marked `orchestrated` and later runs pass it over.
 */
export const SWEEP_GRACE_MS = 60_000;
/** NCRONTAB, seconds first: at second 30 of every minute. */
export const START_SWEEP_SCHEDULE = '30 * * * * *';

/** Markers examined per run; the rest wait for the next minute. */
export const SWEEP_LIMIT_PER_RUN = 500;

export interface SweepResult {
  /** Orchestrations started now. */
  started: number;
  /** Deliveries whose orchestration existed already, or that are no longer pending (marker dropped). */
  settled: number;
  /** Markers kept because their start failed again (retried next run). */
  failed: number;
}

export async function startWaitingDeliveries(
  deps: OutboundDeps,
  starter: DeliveryStarter,
  options: { graceMs?: number; limit?: number } = {},
): Promise<SweepResult> {
  const graceMs = options.graceMs ?? SWEEP_GRACE_MS;
  const limit = options.limit ?? SWEEP_LIMIT_PER_RUN;
  const result: SweepResult = { started: 0, settled: 0, failed: 0 };
  const budget = { examined: 0, limit };
  // Markers written before deliveries were found by their status (and by the release of a resume).
  const before = startMarkerRowKeyBefore(nowMs() - graceMs);
  for (let shard = 0; shard < HOUSEKEEPING_SHARDS && budget.examined < limit; shard++) {
    for await (const marker of deps.tables.starts.iterate(`s${shard}`, { rowKeyTo: before })) {
      if (budget.examined++ >= limit) break;
      const { tenantId, deliveryId } = marker.value;
      if ((await consider(deps, starter, tenantId, deliveryId, graceMs, result)) === 'kept') continue;
      await deps.tables.starts
        .delete(marker.partitionKey, marker.rowKey)
        .catch((error: unknown) => logger.warn('start marker not removed', { deliveryId, ...errorFields(error) }));
    }
  }
  // The tenants that published in the last days (their tenant-day rows), and in each tenant's day
  // partition the `pending` and `retrying` status index: a RowKey prefix each.
  const today = nowMs();
  const days = timeBucketsBetween(today - (SWEEP_LOOKBACK_DAYS - 1) * DAY_MS, today, 'day');
  for (const day of days) {
    for (let shard = 0; shard < HOUSEKEEPING_SHARDS && budget.examined < limit; shard++) {
      for await (const row of deps.tables.days.iterate(retentionPartition(day, shard))) {
        const { tenantId, parts } = splitTenantPartition(row.rowKey);
        if (parts[0] !== 't' || parts[1] !== day) continue;
        await sweepTenantDay(deps, starter, tenantId, day, graceMs, result, budget);
        if (budget.examined >= limit) break;
      }
    }
  }
  return result;
}

/** Days of delivery partitions the sweep reads: today's and yesterday's (a delivery minted before midnight). */
export const SWEEP_LOOKBACK_DAYS = 2;
const DAY_MS = 86_400_000;

async function sweepTenantDay(
  deps: OutboundDeps,
  starter: DeliveryStarter,
  tenantId: string,
  day: string,
  graceMs: number,
  result: SweepResult,
  budget: { examined: number; limit: number },
): Promise<void> {
  const pk = tenantPartition(tenantId, day);
  for (const status of ['pending', 'retrying'] as const) {
    const prefix = deliveryKeyPrefix('status', status);
    for await (const key of deps.tables.deliveryRows.iterate(pk, { rowKeyPrefix: prefix })) {
      const deliveryId = key.rowKey.slice(prefix.length);
      // Minted within the grace period: its message is most likely still on its way.
      if (newestFirstIdTime(deliveryId) + graceMs > nowMs()) continue;
      if (budget.examined >= budget.limit) return;
      budget.examined++;
      await consider(deps, starter, tenantId, deliveryId, graceMs, result, true);
    }
  }
}

/**
 * One delivery the sweep found: started (status read first) when it still waits for its first
 * attempt or for its orchestration. `kept` = look again next run (a throttled first attempt not
 * due yet, or a start that failed). From the status index (`fromIndex`), a delivery the sweep
 * already started or found started, or that has shown a schedule, is passed over without a start.
 */
async function consider(
  deps: OutboundDeps,
  starter: DeliveryStarter,
  tenantId: string,
  deliveryId: string,
  graceMs: number,
  result: SweepResult,
  fromIndex = false,
): Promise<'done' | 'kept' | 'skipped'> {
  try {
    // No delivery row after the grace period: the publisher died between marker and row.
    const delivery = await readDelivery(deps, tenantId, deliveryId);
    const d = delivery?.value;
    const now = nowMs();
    if (fromIndex) {
      // The status index row may be a moment behind the row; the row decides.
      if (!d || d.orchestrated) return 'skipped';
      // Recently changed (a release moving it to `pending`, an attempt): its worker is at it.
      if (Date.parse(d.updatedAt) + graceMs > now) return 'skipped';
      // `retrying` with a next attempt time: its orchestration recorded it (attempt.ts, recordNextAttempt).
      if (d.status === 'retrying' && (d.nextAttemptAt || d.automaticAttempts !== 1)) return 'skipped';
      if (d.status !== 'pending' && d.status !== 'retrying') return 'skipped';
    }
    // `retrying` with nothing behind it: attempt 1 ran from the queue worker, which died or gave up
    // before its orchestration start was confirmed (the start reads the status first).
    const waiting = d?.status === 'pending' || d?.status === 'retrying';
    // A throttled first attempt waits its turn on the queue (throttle.ts): starting its
    // orchestration now would send it past the rate limit. Look again next run.
    const waitingUntil = d?.waitingUntil ? Date.parse(d.waitingUntil) : 0;
    if (d?.status === 'pending' && waitingUntil + graceMs > now) return 'kept';
    if (waiting && (await starter.start(tenantId, deliveryId)) === 'started') {
      result.started++;
      logger.info('waiting delivery started by the sweep', { tenantId, deliveryId });
    } else {
      result.settled++;
    }
    // Started or found started: later runs leave it to its orchestration. Written against the row
    // read above (a start that has changed it meanwhile loses the ETag race and it is read again).
    if (waiting) {
      await changeDelivery(
        deps,
        tenantId,
        deliveryId,
        (current) => (current.orchestrated ? undefined : { ...current, orchestrated: true }),
        delivery,
      );
    }
    return 'done';
  } catch (error) {
    result.failed++;
    logger.warn('sweep could not start a delivery', { tenantId, deliveryId, ...errorFields(error) });
    return 'kept';
  }
}
