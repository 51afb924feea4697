import { lazyQueueHandler, registerQueueHandler } from '../shared/bus/trigger';

/** The handlers, imported on the first message (docs/decisions.md §38). */
const stages = () => import('../shared/pipeline/triggers');

// The four processing stages after validation (docs/design.md §6), each on its own Service Bus queue.
registerQueueHandler(
  'pipeline-sop-matching',
  'sop-matching',
  lazyQueueHandler(async () => (await stages()).sopMatching),
);
registerQueueHandler(
  'pipeline-agent-dispatch',
  'agent-dispatch',
  lazyQueueHandler(async () => (await stages()).agentDispatch),
);
// Agent execution ends events `succeeded`; the stage runner then publishes the outbound event,
// whose deliveries' first attempts go to the `outbound-first-attempt` queue (no durable client).
registerQueueHandler(
  'pipeline-agent-execution',
  'agent-execution',
  lazyQueueHandler(async () => (await stages()).agentExecution),
);
registerQueueHandler(
  'pipeline-tool-call',
  'tool-call',
  lazyQueueHandler(async () => (await stages()).toolCall),
);
