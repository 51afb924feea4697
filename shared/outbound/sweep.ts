import { nowMs } from '../clock';
import { errorFields, logger } from '../observability/logger';
import { readDelivery } from './deliveries';
import type { OutboundDeps } from './deps';
import type { DeliveryStarter } from './starter';
import { HOUSEKEEPING_SHARDS, startMarkerRowKeyBefore } from './tables';

/**
 * The start sweep (a timer, every minute, with a durable client): deliveries whose orchestration
 * was never confirmed started — a publisher without a durable client, a start that failed, a crash
 * between the delivery rows and the start — are started once their marker is older than the grace
 * period. Each start reads the instance status first, so a delivery that did start is left alone.
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
  const before = startMarkerRowKeyBefore(nowMs() - (options.graceMs ?? SWEEP_GRACE_MS));
  const limit = options.limit ?? SWEEP_LIMIT_PER_RUN;
  const result: SweepResult = { started: 0, settled: 0, failed: 0 };
  let examined = 0;
  for (let shard = 0; shard < HOUSEKEEPING_SHARDS && examined < limit; shard++) {
    for await (const marker of deps.tables.starts.iterate(`s${shard}`, { rowKeyTo: before })) {
      if (examined++ >= limit) break;
      const { tenantId, deliveryId } = marker.value;
      try {
        // No delivery row after the grace period: the publisher died between marker and row.
        const delivery = await readDelivery(deps, tenantId, deliveryId);
        // `retrying` with its marker still there: attempt 1 ran from the queue worker, which died or
        // gave up before its orchestration start was confirmed (the start reads the status first).
        const waiting = delivery?.value.status === 'pending' || delivery?.value.status === 'retrying';
        // A throttled first attempt waits its turn on the queue (throttle.ts): starting its
        // orchestration now would send it past the rate limit. Its marker stays for a later run.
        const waitingUntil = delivery?.value.waitingUntil ? Date.parse(delivery.value.waitingUntil) : 0;
        if (delivery?.value.status === 'pending' && waitingUntil + (options.graceMs ?? SWEEP_GRACE_MS) > nowMs()) {
          continue;
        }
        if (waiting && (await starter.start(tenantId, deliveryId)) === 'started') {
          result.started++;
          logger.info('waiting delivery started by the sweep', { tenantId, deliveryId });
        } else {
          result.settled++;
        }
        await deps.tables.starts.delete(marker.partitionKey, marker.rowKey);
      } catch (error) {
        result.failed++;
        logger.warn('sweep could not start a delivery', { tenantId, deliveryId, ...errorFields(error) });
      }
    }
  }
  return result;
}
