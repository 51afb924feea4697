import { app } from '@azure/functions';
import { lazyQueueHandler, registerQueueHandler } from '../shared/bus/trigger';

/** The handlers, imported on the first invocation (docs/decisions.md §38). */
const triggers = () => import('../shared/probes/triggers');

/** Every five minutes: one probe message per integration that is due (shared/probes/fan-out). */
app.timer('health-probe-timer', {
  schedule: '0 */5 * * * *',
  handler: async () => (await triggers()).fanOutDueProbes(),
});

registerQueueHandler(
  'health-probe-run',
  'health-probe',
  lazyQueueHandler(async () => (await triggers()).runProbe),
);
