import { stageHandler } from './stage-runner';
import { agentDispatchWork } from './stages/agent-dispatch';
import { agentExecutionWork } from './stages/agent-execution';
import { sopMatchingWork } from './stages/sop-matching';
import { toolCallWork } from './stages/tool-call';

/**
 * The stages' queue handlers (docs/design.md §6), imported by functions/pipeline-validation-queue.ts and
 * pipeline-stages.ts on the first message (docs/decisions.md §38). The entries name each stage's
 * queue (STAGE_QUEUES; test/integration/lazy-registration.test.ts checks they agree).
 */
/** Loaded on its own by functions/pipeline-validation-queue.ts; here for readers of the set. */
export { validation } from './validation/trigger';
export const sopMatching = stageHandler('sop_matching', sopMatchingWork);
export const agentDispatch = stageHandler('agent_dispatch', agentDispatchWork);
export const agentExecution = stageHandler('agent_execution', agentExecutionWork);
export const toolCall = stageHandler('tool_call', toolCallWork);
