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
import * as df from '../shared/sdk/durable-functions';

/** Outbound delivery on Durable Functions: the orchestration and its two activities (shared/outbound). */
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
