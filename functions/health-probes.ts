import { app } from '@azure/functions';
import { registerQueueHandler } from '../shared/bus/trigger';
import { fanOutDeps, probeDeps } from '../shared/health/deps';
import { fanOutProbes } from '../shared/health/fan-out';
import { PROBE_QUEUE } from '../shared/health/probe-message';
import { handleProbeMessage } from '../shared/health/run-probe';
import { PROBE_SCHEDULE } from '../shared/health/schedule';

app.timer('health-probe-timer', {
  schedule: PROBE_SCHEDULE,
  handler: async () => {
    await fanOutProbes(fanOutDeps());
  },
});

registerQueueHandler('health-probe-run', PROBE_QUEUE, (message) => handleProbeMessage(probeDeps(), message));
