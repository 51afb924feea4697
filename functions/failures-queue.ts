import { lazyQueueHandler, registerQueueHandler } from '../shared/bus/trigger';
import type { Stage } from '../shared/events/contract';

/** Each stage's dead-letter companion queue (`<queue>-deadletter` of STAGE_QUEUES). */
const DEAD_LETTER_QUEUES: Record<Stage, string> = {
  validation: 'validation-deadletter',
  sop_matching: 'sop-matching-deadletter',
  agent_dispatch: 'agent-dispatch-deadletter',
  agent_execution: 'agent-execution-deadletter',
  tool_call: 'tool-call-deadletter',
};

// One Failure Analysis consumer per stage's dead-letter companion queue (docs/decisions.md §10);
// the handler is imported on the first message (§38).
for (const [stage, queue] of Object.entries(DEAD_LETTER_QUEUES) as Array<[Stage, string]>) {
  registerQueueHandler(
    `failures-${queue}`,
    queue,
    lazyQueueHandler(async () => (await import('../shared/failures/consumer')).failureAnalysisHandler(stage)),
  );
}
