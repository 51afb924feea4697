import { ResourceNotFoundError } from '../errors/domain-error';
import { loadEvent } from '../events/event-store';
import { findTool } from '../tools/catalog';
import { readWrite } from '../tools/ledger';
import type { AgentRunView } from './api-schemas';
import { type AgentRun, agentRunId, loadAgentRun, toolCallStep } from './runs';

/**
 * The read side of agent runs (GET /api/v1/agent-runs/{id}): the snapshotted steps with their
 * progress, and for each write the vendor-write ledger's row, so an admin sees which call is
 * `pending` (outcome unknown) without reading tables. One point read per writing step; a run has
 * at most 20 steps.
 */
async function toView(run: AgentRun): Promise<AgentRunView> {
  const steps = await Promise.all(
    run.steps.map(async (step, index) => {
      const tool = findTool(step.tool);
      const progress = run.progress[index] ?? { status: 'pending' as const };
      const stepName = toolCallStep(run.id, index);
      const ledger = tool?.writes
        ? await readWrite({ tenantId: run.tenantId, eventId: run.eventId, step: stepName })
        : undefined;
      return {
        index,
        name: step.name ?? null,
        tool: step.tool,
        vendor: tool?.vendor ?? null,
        args: step.args,
        condition: step.condition ?? null,
        requiresApproval: step.requiresApproval || (tool?.alwaysRequiresApproval ?? false),
        status: progress.status,
        toolCallStep: stepName,
        integrationId: progress.integrationId ?? ledger?.integrationId ?? step.integrationId ?? null,
        approvalId: progress.approvalId ?? null,
        summary: progress.summary ?? null,
        error: progress.error ?? null,
        output: progress.output ?? null,
        at: progress.at ?? null,
        ledger: ledger
          ? {
              status: ledger.status,
              attempt: ledger.attempt,
              startedAt: ledger.startedAt,
              finishedAt: ledger.finishedAt ?? null,
            }
          : null,
      };
    }),
  );
  return {
    id: run.id,
    eventId: run.eventId,
    sopId: run.sopId,
    sopName: run.sopName,
    sopVersion: run.sopVersion,
    status: run.status,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    steps,
  };
}

export async function getAgentRunView(tenantId: string, id: string): Promise<AgentRunView> {
  const run = await loadAgentRun(tenantId, id);
  if (!run) throw new ResourceNotFoundError('agent run', id);
  return toView(run);
}

/**
 * An event's agent runs. One run per event (its id derives from the event id), so this is one
 * point read; an event that exists without a run (no SOP matched yet) answers an empty list.
 */
export async function agentRunsOfEvent(tenantId: string, eventId: string): Promise<AgentRunView[]> {
  const run = await loadAgentRun(tenantId, agentRunId(eventId));
  if (run) return [await toView(run)];
  if (!(await loadEvent(tenantId, eventId))) throw new ResourceNotFoundError('event', eventId);
  return [];
}
