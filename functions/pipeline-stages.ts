import { registerQueueHandler } from '../shared/bus/trigger';
import { STAGE_QUEUES } from '../shared/pipeline/contract';
import { stageHandler } from '../shared/pipeline/stage-runner';
import { agentDispatchWork } from '../shared/pipeline/stages/agent-dispatch';
import { agentExecutionWork } from '../shared/pipeline/stages/agent-execution';
import { sopMatchingWork } from '../shared/pipeline/stages/sop-matching';
import { toolCallWork } from '../shared/pipeline/stages/tool-call';

// The four processing stages after validation (DESIGN §6), each on its own Service Bus queue.
registerQueueHandler('pipeline-sop-matching', STAGE_QUEUES.sop_matching, stageHandler('sop_matching', sopMatchingWork));
registerQueueHandler(
  'pipeline-agent-dispatch',
  STAGE_QUEUES.agent_dispatch,
  stageHandler('agent_dispatch', agentDispatchWork),
);
// Agent execution ends events `succeeded`; the stage runner then publishes the outbound event,
// whose deliveries start with this trigger's durable client.
registerQueueHandler(
  'pipeline-agent-execution',
  STAGE_QUEUES.agent_execution,
  stageHandler('agent_execution', agentExecutionWork),
  { durableClient: true },
);
registerQueueHandler('pipeline-tool-call', STAGE_QUEUES.tool_call, stageHandler('tool_call', toolCallWork));
