import type { Settlement } from '../bus/port';
import { processBus } from '../bus/process-bus';
import type { QueueMessageHandler } from '../bus/trigger';
import { STAGE_QUEUES } from '../events/contract';
import { reportQueueBacklog } from '../observability/queue-backlog';
import { fanOutDeps, probeDeps } from './deps';
import { fanOutProbes } from './fan-out';
import { PROBE_QUEUE } from './probe-message';
import { handleProbeMessage } from './run-probe';

/** The queues whose depth the backlog gauge reports: every queue infra/main.bicep declares. */
export const BACKLOG_QUEUES: readonly string[] = [...Object.values(STAGE_QUEUES), PROBE_QUEUE];

/**
 * What functions/probes-timer.ts runs, imported on the first invocation (docs/decisions.md §38).
 * The entry registers the timer and the queue trigger with their schedule and queue name
 * (PROBE_SCHEDULE, PROBE_QUEUE; test/integration/lazy-registration.test.ts checks they agree).
 */
export async function fanOutDueProbes(): Promise<void> {
  // The queue backlog rides on the same five-minute tick (docs/telemetry.md); it never throws.
  await Promise.all([fanOutProbes(fanOutDeps()), reportQueueBacklog(processBus(), BACKLOG_QUEUES)]);
}

export const runProbe: QueueMessageHandler = (message): Promise<Settlement> => handleProbeMessage(probeDeps(), message);
