import { app } from '@azure/functions';
import { settings } from '../shared/config/settings';
import { recordNextAttempt, runAutomaticAttempt } from '../shared/outbound/attempt';
import { outboundDeps } from '../shared/outbound/deps';
import {
  ATTEMPT_ACTIVITY,
  attemptInputSchema,
  DELIVERY_ORCHESTRATOR,
  deliveryOrchestrator,
  NEXT_ATTEMPT_ACTIVITY,
  nextAttemptInputSchema,
} from '../shared/outbound/orchestrator';
import { purgeExpiredDeliveries, RETENTION_SCHEDULE } from '../shared/outbound/retention';
import { durableStarter } from '../shared/outbound/starter';
import { START_SWEEP_SCHEDULE, startWaitingDeliveries } from '../shared/outbound/sweep';
import * as df from '../shared/sdk/durable-functions';

/** Outbound delivery on Durable Functions: the orchestration, its two activities and the housekeeping timers (shared/outbound). */
df.app.orchestration(DELIVERY_ORCHESTRATOR, (context) => deliveryOrchestrator(context));

df.app.activity(ATTEMPT_ACTIVITY, {
  handler: async (input: unknown) => runAutomaticAttempt(outboundDeps(), attemptInputSchema.parse(input)),
});

df.app.activity(NEXT_ATTEMPT_ACTIVITY, {
  handler: async (input: unknown) => {
    await recordNextAttempt(outboundDeps(), nextAttemptInputSchema.parse(input));
    return null;
  },
});

/** Every minute: start deliveries whose orchestration was never confirmed started (shared/outbound/sweep). */
app.timer('outbound-start-sweep', {
  schedule: START_SWEEP_SCHEDULE,
  extraInputs: [df.input.durableClient()],
  handler: async (_timer, context) => {
    await startWaitingDeliveries(outboundDeps(), durableStarter(df.getClient(context)));
  },
});

/** Hourly: purge outbound events, deliveries and attempts past OUTBOUND_RETENTION_DAYS. */
app.timer('outbound-retention', {
  schedule: RETENTION_SCHEDULE,
  handler: async () => {
    await purgeExpiredDeliveries(outboundDeps(), { retentionDays: settings().OUTBOUND_RETENTION_DAYS });
  },
});
