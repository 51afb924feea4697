import { app } from '@azure/functions';
import * as df from '../shared/sdk/durable-functions';

/** The handlers, imported on the first invocation (docs/decisions.md §38). */
const outbound = () => import('../shared/outbound/triggers');

/** Outbound delivery on Durable Functions: the orchestration, its two activities and the housekeeping timers (shared/outbound). */
df.app.lazyOrchestration('outbound-delivery-v1', async () => (await outbound()).deliveryOrchestration);
df.app.lazyOrchestration('outbound-delivery-v2', async () => (await outbound()).throttledDeliveryOrchestration);
df.app.activity('outbound-send-slot-v1', { handler: async (input: unknown) => (await outbound()).sendSlot(input) });

df.app.activity('outbound-attempt-v1', { handler: async (input: unknown) => (await outbound()).attempt(input) });

df.app.activity('outbound-next-attempt-v1', {
  handler: async (input: unknown) => (await outbound()).nextAttempt(input),
});

/** Every minute: start deliveries whose orchestration was never confirmed started. */
app.timer('outbound-start-sweep', {
  schedule: '30 * * * * *',
  extraInputs: [df.input.durableClient()],
  handler: async (_timer, context) => (await outbound()).startSweep(context),
});

/** Hourly: purge outbound events, deliveries and attempts past OUTBOUND_RETENTION_DAYS. */
app.timer('outbound-retention', {
  schedule: '0 23 * * * *',
  handler: async () => (await outbound()).retention(),
});
