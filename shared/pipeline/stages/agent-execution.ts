import { type AgentRun, loadAgentRun, toolCallStep, updateAgentRun } from '../../agents/runs';
import { approvalId, expireIfDue, findApproval, requestApproval } from '../../approvals/approvals';
import { approvalDeps } from '../../approvals/deps';
import { FAILURE_PROPERTIES, type NormalizedEvent, type StageMessage } from '../../events/contract';
import { conditionHolds } from '../../sops/conditions';
import { renderArguments, TemplateError } from '../../sops/template';
import { findTool } from '../../tools/catalog';
import { normalizedEventOf, type StageContext, type StageResult } from '../stage-runner';

/**
 * Agent execution, the deterministic executor: from the step a message names, skip steps whose
 * condition does not hold, stop for an approval where the step or its tool needs one, and hand
 * the first runnable step to the tool-call stage. Past the last step the run and the event have
 * succeeded. Steps are `s<i>` (walk on from step i), `s<i>-approved` (step i was approved: run it),
 * `s<i>-rejected` and `s<i>-expired` (the approval's answer or its expiry check).
 */
const STEP = /^s(\d{1,3})(?:-(approved|rejected|expired))?$/;

export function executionStep(
  step: string,
): { index: number; resume?: 'approved' | 'rejected' | 'expired' } | undefined {
  const match = STEP.exec(step);
  if (!match) return undefined;
  const resume = match[2] as 'approved' | 'rejected' | 'expired' | undefined;
  return { index: Number(match[1]), ...(resume ? { resume } : {}) };
}

function fail(
  errorType: 'approval_rejected' | 'approval_expired' | 'tool_execution_error' | 'internal_error',
  message: string,
  run: AgentRun | undefined,
  extra: Record<string, string | number> = {},
): StageResult {
  return {
    kind: 'fail',
    errorType,
    transient: false,
    message,
    properties: {
      ...(run ? { [FAILURE_PROPERTIES.agentRunId]: run.id, [FAILURE_PROPERTIES.sopId]: run.sopId } : {}),
      ...extra,
    },
  };
}

/** The run stops at step `stepIndex`, recorded there as `step`, and the event fails with it. */
async function failAtStep(
  tenantId: string,
  run: AgentRun,
  stepIndex: number,
  step: NonNullable<Parameters<typeof updateAgentRun>[2]['step']>,
  errorType: Parameters<typeof fail>[0],
  message: string,
  extra?: Record<string, string | number>,
): Promise<StageResult> {
  await updateAgentRun(tenantId, run.id, { stepIndex, step, status: 'failed' }, run);
  return fail(errorType, message, run, extra);
}

function runIdOf(message: StageMessage, eventAgentRunId: string | null): string | undefined {
  return message.agentRunId ?? eventAgentRunId ?? undefined;
}

/** The run and the step a message names, parsed; undefined when either does not exist. */
export async function loadExecutionPoint(
  ctx: StageContext,
): Promise<{ run: AgentRun; index: number; resume?: 'approved' | 'rejected' | 'expired' } | undefined> {
  const parsed = executionStep(ctx.message.step);
  const runId = runIdOf(ctx.message, ctx.event.agentRunId);
  const run = runId ? await loadAgentRun(ctx.event.tenantId, runId) : undefined;
  return parsed && run ? { run, ...parsed } : undefined;
}

/** `s<i>-rejected`: the run stops at step i with who rejected it and why. */
export async function resumeRejected(ctx: StageContext, run: AgentRun, index: number): Promise<StageResult> {
  const { tenantId, id: eventId } = ctx.event;
  const stepDef = run.steps[index];
  const approval = await findApproval(approvalDeps(), tenantId, approvalId(eventId, index));
  const by = approval?.decidedBy ? ` by key ${approval.decidedBy}` : '';
  const why = approval?.comment ? `: "${approval.comment}"` : '';
  return failAtStep(
    tenantId,
    run,
    index,
    { status: 'rejected', approvalId: approvalId(eventId, index) },
    'approval_rejected',
    `Step ${index + 1} (${stepDef?.tool ?? 'unknown tool'}) of SOP "${run.sopName}" was rejected${by}${why}.`,
    toolPropsOf(run, index),
  );
}

/** `s<i>-expired`: the expiry check; it fails the run only if nobody decided in time. */
export async function resumeExpired(ctx: StageContext, run: AgentRun, index: number): Promise<StageResult> {
  const { tenantId, id: eventId } = ctx.event;
  const expired = await expireIfDue(approvalDeps(), tenantId, approvalId(eventId, index));
  if (!expired) {
    // Decided in time (or not due yet): the check has nothing to do. Keep the event's status.
    const status =
      ctx.event.status === 'succeeded' || ctx.event.status === 'awaiting_approval' ? ctx.event.status : 'processing';
    return { kind: 'done', status, detail: `approval ${approvalId(eventId, index)} was decided in time` };
  }
  return failAtStep(
    tenantId,
    run,
    index,
    { status: 'expired', approvalId: expired.id },
    'approval_expired',
    `Nobody decided approval ${expired.id} for step ${index + 1} (${expired.tool}) before ${expired.expiresAt}.`,
    toolPropsOf(run, index),
  );
}

function toolPropsOf(run: AgentRun, index: number): Record<string, string | number> {
  const stepDef = run.steps[index];
  return stepDef ? { [FAILURE_PROPERTIES.tool]: stepDef.tool } : {};
}

type Step = AgentRun['steps'][number];
type Tool = NonNullable<ReturnType<typeof findTool>>;

/** Asks for an approval of step `i` with its rendered arguments; the run waits for the answer. */
export async function requestStepApproval(
  ctx: StageContext,
  run: AgentRun,
  i: number,
  step: Step,
  tool: Tool,
  event: NormalizedEvent,
): Promise<StageResult> {
  const { tenantId, id: eventId } = ctx.event;
  let args: Record<string, unknown>;
  try {
    args = renderArguments(step.args, { id: eventId, event });
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return failAtStep(
      tenantId,
      run,
      i,
      { status: 'failed', error: error.message },
      'tool_execution_error',
      `Step ${i + 1} (${tool.id}) of SOP "${run.sopName}": ${error.message}.`,
      { [FAILURE_PROPERTIES.tool]: tool.id },
    );
  }
  const approval = await requestApproval(approvalDeps(), {
    tenantId,
    eventId,
    agentRunId: run.id,
    stepIndex: i,
    sopId: run.sopId,
    tool: tool.id,
    vendor: tool.vendor,
    args,
    reason: tool.alwaysRequiresApproval ? `${tool.id} always needs an approval` : 'the SOP step asks for an approval',
    correlationId: ctx.correlationId,
  });
  await updateAgentRun(
    tenantId,
    run.id,
    { stepIndex: i, step: { status: 'awaiting_approval', approvalId: approval.id }, status: 'awaiting_approval' },
    run,
  );
  return {
    kind: 'done',
    status: 'awaiting_approval',
    detail: `step ${i + 1} (${tool.id}) waits for approval ${approval.id} until ${approval.expiresAt}`,
  };
}

/**
 * Walks from step `index`: skips steps whose condition does not hold, stops for an approval, and
 * hands the first runnable step to the tool call; past the last step the run has succeeded.
 */
export async function walkSteps(
  ctx: StageContext,
  run: AgentRun,
  index: number,
  approved: boolean,
): Promise<StageResult> {
  const { tenantId, id: eventId } = ctx.event;
  const event = await normalizedEventOf(ctx);
  // Each update answers the run as written: the next one starts from its ETag (no read between).
  let latest = run;
  for (let i = index; i < run.steps.length; i++) {
    const step = run.steps[i]!;
    const tool = findTool(step.tool);
    if (!tool) {
      return failAtStep(
        tenantId,
        latest,
        i,
        { status: 'failed', error: 'unknown tool' },
        'tool_execution_error',
        `Step ${i + 1} names the tool "${step.tool}", which the catalog no longer has; edit SOP "${run.sopName}".`,
        { [FAILURE_PROPERTIES.tool]: step.tool },
      );
    }
    const approvedNow = approved && i === index;
    if (!approvedNow && step.condition && !conditionHolds(step.condition, { id: eventId, event })) {
      latest = await updateAgentRun(
        tenantId,
        run.id,
        { stepIndex: i, step: { status: 'skipped', summary: 'condition does not hold' } },
        latest,
      );
      continue;
    }
    const needsApproval = step.requiresApproval || tool.alwaysRequiresApproval;
    if (needsApproval && !approvedNow) return requestStepApproval(ctx, latest, i, step, tool, event);
    if (approvedNow) {
      await updateAgentRun(
        tenantId,
        run.id,
        { stepIndex: i, step: { status: 'approved', approvalId: approvalId(eventId, i) }, status: 'running' },
        latest,
      );
    }
    return {
      kind: 'next',
      messages: [{ stage: 'tool_call', step: toolCallStep(run.id, i), agentRunId: run.id, stepIndex: i }],
      detail: `step ${i + 1} of ${run.steps.length}: ${tool.id}`,
      properties: {
        [FAILURE_PROPERTIES.agentRunId]: run.id,
        [FAILURE_PROPERTIES.tool]: tool.id,
        [FAILURE_PROPERTIES.vendor]: tool.vendor,
      },
    };
  }
  await updateAgentRun(tenantId, run.id, { status: 'succeeded' }, latest);
  return {
    kind: 'done',
    status: 'succeeded',
    detail: `agent run ${run.id} finished all ${run.steps.length} step${run.steps.length === 1 ? '' : 's'}`,
  };
}

export async function agentExecutionWork(ctx: StageContext): Promise<StageResult> {
  const point = await loadExecutionPoint(ctx);
  if (!point) {
    const runId = runIdOf(ctx.message, ctx.event.agentRunId);
    const run = runId ? await loadAgentRun(ctx.event.tenantId, runId) : undefined;
    return fail(
      'internal_error',
      `Agent execution got step "${ctx.message.step}" for run ${runId ?? '(none)'}, which does not exist.`,
      run,
    );
  }
  const { run, index, resume } = point;
  if (resume === 'rejected') return resumeRejected(ctx, run, index);
  if (resume === 'expired') return resumeExpired(ctx, run, index);
  return walkSteps(ctx, run, index, resume === 'approved');
}
