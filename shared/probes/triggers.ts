import type { Settlement } from '../bus/port';
import type { QueueMessageHandler } from '../bus/trigger';
import { fanOutDeps, probeDeps } from './deps';
import { fanOutProbes } from './fan-out';
import { handleProbeMessage } from './run-probe';

/**
 * What functions/probes-timer.ts runs, imported on the first invocation (docs/decisions.md §38).
 * The entry registers the timer and the queue trigger with their schedule and queue name
 * (PROBE_SCHEDULE, PROBE_QUEUE; test/integration/lazy-registration.test.ts checks they agree).
 */
export async function fanOutDueProbes(): Promise<void> {
  await fanOutProbes(fanOutDeps());
}

export const runProbe: QueueMessageHandler = (message): Promise<Settlement> => handleProbeMessage(probeDeps(), message);
