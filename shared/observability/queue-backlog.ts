import type { BacklogReader } from '../bus/port';
import { errorFields, logger } from './logger';
import { recordQueueBacklog, telemetryEnabled } from './telemetry';

/**
 * Reads the depth of each queue and its dead-letter companion and hands them to the backlog gauge
 * (`hub_queue_backlog`), for the probe timer to call every five minutes. With telemetry off nothing
 * is read (each depth is a storage call). A failed read is logged and skipped: the backlog is a
 * view, never a reason for the timer it rides on to fail.
 */
export async function reportQueueBacklog(reader: BacklogReader, queues: readonly string[]): Promise<void> {
  if (!telemetryEnabled()) return;
  try {
    for (const { queue, active, deadLettered } of await reader.backlog(queues)) {
      recordQueueBacklog(queue, active);
      recordQueueBacklog(queue, deadLettered, true);
    }
  } catch (error) {
    logger.warn('queue backlog not read', errorFields(error));
  }
}
