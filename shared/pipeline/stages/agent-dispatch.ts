import { createAgentRun } from '../../agents/runs';
import { FAILURE_PROPERTIES } from '../../events/contract';
import { sopDeps } from '../../sops/deps';
import { findSop } from '../../sops/sops';
import type { StageContext, StageResult } from '../stage-runner';

/**
 * Agent dispatch: snapshot the matched SOP into an agent run (id derived from the event id, so a
 * redelivery finds the run it created) and start executing at step 0.
 */
export async function agentDispatchWork(ctx: StageContext): Promise<StageResult> {
  const { tenantId, id: eventId } = ctx.event;
  const fromMessage = ctx.received.applicationProperties[FAILURE_PROPERTIES.sopId];
  const sopId = ctx.event.sopId ?? (fromMessage === undefined ? undefined : String(fromMessage));
  const sop = sopId ? await findSop(sopDeps(), tenantId, sopId) : undefined;
  if (!sopId || !sop) {
    return {
      kind: 'fail',
      errorType: 'no_sop_matched',
      transient: false,
      message: sopId
        ? `SOP ${sopId} matched this event but was deleted before its agent run started; replay the event to match again.`
        : 'The event reached agent dispatch without a matched SOP.',
      properties: sopId ? { [FAILURE_PROPERTIES.closestSopId]: sopId } : {},
    };
  }
  const { run, created } = await createAgentRun({
    tenantId,
    eventId,
    sop: { id: sop.id, name: sop.name, version: sop.version, steps: sop.steps },
  });
  return {
    kind: 'next',
    messages: [{ stage: 'agent_execution', step: 's0', agentRunId: run.id, stepIndex: 0 }],
    detail: `${created ? 'created' : 'found'} agent run ${run.id}: ${run.steps.length} step${run.steps.length === 1 ? '' : 's'} of SOP "${run.sopName}" v${run.sopVersion}`,
    properties: { [FAILURE_PROPERTIES.agentRunId]: run.id, [FAILURE_PROPERTIES.sopId]: run.sopId },
    patch: { agentRunId: run.id },
  };
}
