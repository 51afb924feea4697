import { type AgentRun, loadAgentRun, updateAgentRun } from '../../agents/runs';
import { countTransactionNow, processCounterTallies } from '../../analytics/deps';
import { ResourceNotFoundError } from '../../errors/domain-error';
import { type ErrorType, FAILURE_PROPERTIES } from '../../events/contract';
import { crashPoint } from '../../faults/crash-points';
import { integrationDeps } from '../../integrations/deps';
import { openIntegrationSession, resolveDefault } from '../../integrations/integrations';
import { renderArguments, TemplateError } from '../../sops/template';
import { findTool } from '../../tools/catalog';
import type { ToolDefinition, ToolResult } from '../../tools/definition';
import { type ClaimedRow, claimWrite, settleWrite, type WriteAddress } from '../../tools/ledger';
import { VendorError } from '../../vendors/contract';
import { normalizedEventOf, type StageContext, type StageResult } from '../stage-runner';

/**
 * Tool call: one message per step. Render the step's arguments from the event, open the
 * integration's session, call the tool, and on success hand the next step back to agent
 * execution. Writes go through the vendor-write ledger (docs/design.md §6.6). Vendor failures map onto
 * the pipeline's error types: 401/403/404 are configuration (permanent `tool_config_error`),
 * 5xx/timeouts/resets are `vendor_unavailable` and 429 is `rate_limited` (both retried by the
 * stage runner), anything else the vendor refused is `tool_execution_error`.
 */

/** Between the vendor's answer and the ledger's record of it: the window docs/design.md §6.6 is about. */
export const CRASH_AFTER_VENDOR_WRITE = 'tools.call.after-vendor-write';

export type Failure = Extract<StageResult, { kind: 'fail' }>;

function failure(
  errorType: ErrorType,
  message: string,
  transient: boolean,
  properties: Record<string, string | number>,
  retryAfterMs?: number,
): Failure {
  return {
    kind: 'fail',
    errorType,
    message,
    transient,
    properties,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/** A vendor's refusal as the pipeline's error type (see the header). */
export function vendorFailure(
  error: VendorError,
  tool: ToolDefinition,
  props: Record<string, string | number>,
): Failure {
  const properties = {
    ...props,
    ...(error.httpStatus !== undefined ? { [FAILURE_PROPERTIES.vendorStatus]: error.httpStatus } : {}),
  };
  const said = `${tool.vendor} answered ${error.httpStatus !== undefined ? `HTTP ${error.httpStatus}` : `with ${error.kind}`} to ${tool.id}: ${error.vendorMessage}`;
  switch (error.kind) {
    case 'auth':
    case 'forbidden':
    case 'not_found':
    case 'blocked':
      return failure('tool_config_error', said, false, properties);
    case 'unavailable':
    case 'timeout':
    case 'network':
      return failure('vendor_unavailable', said, true, properties);
    case 'rate_limited':
      return failure('rate_limited', said, true, properties, error.retryAfterMs);
    case 'rejected':
    case 'bad_response':
      return failure('tool_execution_error', said, false, properties);
  }
}

/** The step's integration: named in the step, else the event's own (same vendor), else the vendor's default. */
export async function integrationFor(
  ctx: StageContext,
  run: AgentRun,
  index: number,
  tool: ToolDefinition,
): Promise<string | undefined> {
  const named = run.steps[index]?.integrationId;
  if (named) return named;
  if (ctx.event.integrationId && ctx.event.source === tool.vendor) return ctx.event.integrationId;
  return resolveDefault(integrationDeps(), ctx.event.tenantId, tool.vendor);
}

/** The run, step index and step a tool-call message names; all three exist or the message is wrong. */
export interface StepToRun {
  run: AgentRun;
  index: number;
  step: AgentRun['steps'][number];
}

export async function loadStepToRun(ctx: StageContext): Promise<StepToRun | Failure> {
  const index = ctx.message.stepIndex;
  const runId = ctx.message.agentRunId ?? ctx.event.agentRunId ?? undefined;
  const run = runId ? await loadAgentRun(ctx.event.tenantId, runId) : undefined;
  const step = run && index !== undefined ? run.steps[index] : undefined;
  if (!run || index === undefined || !step) {
    return failure(
      'internal_error',
      `Tool call ${ctx.message.step} names no step of an existing agent run.`,
      false,
      {},
    );
  }
  return { run, index, step };
}

/** A failure of the step; only a final one (not retried) ends the run, recorded at the step. */
export async function endStep(tenantId: string, at: StepToRun, result: Failure): Promise<Failure> {
  if (!result.transient) {
    await updateAgentRun(
      tenantId,
      at.run.id,
      { stepIndex: at.index, step: { status: 'failed', error: result.message }, status: 'failed' },
      at.run,
    );
  }
  return result;
}

/** The step's arguments rendered from the event and checked against the tool's schema. */
export async function renderStepArguments(
  ctx: StageContext,
  at: StepToRun,
  tool: ToolDefinition,
  props: Record<string, string | number>,
): Promise<{ args: unknown } | Failure> {
  const { id: eventId } = ctx.event;
  const where = `Step ${at.index + 1} of SOP "${at.run.sopName}"`;
  try {
    const rendered = renderArguments(at.step.args, {
      id: eventId,
      event: await normalizedEventOf(ctx),
    });
    const parsed = tool.args.safeParse(rendered);
    if (parsed.success) return { args: parsed.data };
    const issue = parsed.error.issues[0];
    return failure(
      'tool_execution_error',
      `${where}: argument "${issue?.path.join('.') ?? '?'}" of ${tool.id} is not valid after rendering: ${issue?.message ?? 'invalid'}.`,
      false,
      props,
    );
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return failure('tool_execution_error', `${where} (${tool.id}): ${error.message}.`, false, props);
  }
}

type OpenedSession = Awaited<ReturnType<typeof openIntegrationSession>>;

/** The integration the step runs through, open, and of the tool's vendor. */
export async function openStepSession(
  ctx: StageContext,
  at: StepToRun,
  tool: ToolDefinition,
  props: Record<string, string | number>,
): Promise<{ integrationId: string; opened: OpenedSession } | Failure> {
  const where = `SOP "${at.run.sopName}"`;
  const integrationId = await integrationFor(ctx, at.run, at.index, tool);
  if (!integrationId) {
    return failure(
      'integration_missing',
      `No ${tool.vendor} integration is connected for ${tool.id}: connect one, or name integrationId in step ${at.index + 1} of ${where}.`,
      false,
      props,
    );
  }
  let opened: OpenedSession;
  try {
    opened = await openIntegrationSession(integrationDeps(), ctx.event.tenantId, integrationId, ctx.correlationId);
  } catch (error) {
    if (!(error instanceof ResourceNotFoundError)) throw error;
    return failure(
      'integration_missing',
      `Integration ${integrationId} (named for step ${at.index + 1} of ${where}) does not exist.`,
      false,
      props,
    );
  }
  if (opened.record.vendor !== tool.vendor) {
    return failure(
      'tool_config_error',
      `Step ${at.index + 1} of ${where} calls ${tool.id} through integration ${integrationId}, which is a ${opened.record.vendor} integration.`,
      false,
      props,
    );
  }
  return { integrationId, opened };
}

/**
 * For a writing tool, the vendor-write ledger's say before the call (docs/design.md §6.6): go ahead, use
 * the result an earlier delivery recorded, or stop because an earlier call's outcome is unknown.
 * A go-ahead carries the claimed row, so the call's outcome is settled under its ETag without a read.
 */
export async function claimStepWrite(
  ctx: StageContext,
  tool: ToolDefinition,
  args: unknown,
  integrationId: string,
  props: Record<string, string | number>,
): Promise<{ kind: 'call'; claim?: ClaimedRow } | { kind: 'done'; result: ToolResult } | Failure> {
  if (!tool.writes) return { kind: 'call' };
  const claim = await claimWrite(writeAddress(ctx), {
    tool: tool.id,
    vendor: tool.vendor,
    integrationId,
    attempt: ctx.message.attempt,
  });
  if (claim.kind === 'claimed') return { kind: 'call', claim: claim.row };
  if (claim.kind === 'done') return { kind: 'done', result: claim.result };
  return failure(
    'outcome_unknown',
    `A ${tool.id} call started at ${claim.since} (attempt ${claim.attempt + 1}) never recorded its outcome: the process stopped mid-call, so it was not sent again. Check ${tool.checkAtVendor(args as Record<string, unknown>)} in ${tool.vendor}; if it is missing, replay the event.`,
    false,
    props,
  );
}

/** Calls the vendor; the answer (or the mapped failure) goes into the ledger and the counters. */
export async function callTool(
  ctx: StageContext,
  tool: ToolDefinition,
  session: OpenedSession['session'],
  args: unknown,
  integrationId: string,
  props: Record<string, string | number>,
  claim?: ClaimedRow,
): Promise<{ result: ToolResult } | Failure> {
  const tenantId = ctx.event.tenantId;
  let result: ToolResult;
  try {
    result = await tool.execute(session, args);
  } catch (error) {
    const mapped =
      error instanceof VendorError
        ? vendorFailure(error, tool, props)
        : failure(
            'tool_execution_error',
            `${tool.id} failed: ${error instanceof Error ? error.message : String(error)}`,
            false,
            props,
          );
    if (tool.writes) await settleWrite(writeAddress(ctx), { status: 'failed', error: mapped.message }, claim);
    countCall(
      tenantId,
      integrationId,
      'failed',
      mapped.properties?.[FAILURE_PROPERTIES.vendorStatus] ?? mapped.errorType,
    );
    return mapped;
  }
  crashPoint(CRASH_AFTER_VENDOR_WRITE);
  if (tool.writes) await settleWrite(writeAddress(ctx), { status: 'succeeded', result }, claim);
  countCall(tenantId, integrationId, 'succeeded', tool.id);
  return { result };
}

function writeAddress(ctx: StageContext): WriteAddress {
  return { tenantId: ctx.event.tenantId, eventId: ctx.event.id, step: ctx.message.step };
}

const isFailure = (value: object): value is Failure => 'kind' in value && value.kind === 'fail';

/** One run of a SOP tool step, a custom_node transaction (docs/dashboard.md); `code` null when it succeeded. */
function countStep(ctx: StageContext, at: StepToRun, code: string | null, description: string): Promise<void> {
  return countTransactionNow({
    tenantId: ctx.event.tenantId,
    type: 'custom_node',
    integrationId: at.run.sopId,
    integrationName: at.run.sopName,
    ok: code === null,
    code: code ?? '-',
    description,
    service: at.step.tool,
    flow: at.run.sopId,
    example: { kind: 'event', id: ctx.event.id },
  });
}

/** The stage: each step either hands its value to the next or ends the tool call with a failure. */
export async function toolCallWork(ctx: StageContext): Promise<StageResult> {
  const tenantId = ctx.event.tenantId;
  const at = await loadStepToRun(ctx);
  if (isFailure(at)) return at;
  // Every run of the step is counted, retried ones included; `code` is the dashboard code of the
  // failure (816: arguments not resolvable, 811: the vendor refused the action), else its error type.
  const end = async (result: Failure, code?: string): Promise<Failure> => {
    await countStep(ctx, at, code ?? result.errorType, result.message);
    return endStep(tenantId, at, result);
  };
  const base = {
    [FAILURE_PROPERTIES.agentRunId]: at.run.id,
    [FAILURE_PROPERTIES.sopId]: at.run.sopId,
    [FAILURE_PROPERTIES.tool]: at.step.tool,
  };
  const tool = findTool(at.step.tool);
  if (!tool) {
    const message = `The tool "${at.step.tool}" is not in the catalog; edit SOP "${at.run.sopName}".`;
    return end(failure('tool_execution_error', message, false, base));
  }
  const props = { ...base, [FAILURE_PROPERTIES.vendor]: tool.vendor };

  const rendered = await renderStepArguments(ctx, at, tool, props);
  if (isFailure(rendered)) return end(rendered, '816');
  const session = await openStepSession(ctx, at, tool, props);
  if (isFailure(session)) return end(session);
  const { integrationId } = session;

  const ledger = await claimStepWrite(ctx, tool, rendered.args, integrationId, props);
  if (ledger.kind === 'fail') return end(ledger);
  if (ledger.kind === 'done') return advance(ctx, at.run, at.index, tool, ledger.result, integrationId);

  const called = await callTool(ctx, tool, session.opened.session, rendered.args, integrationId, props, ledger.claim);
  if (isFailure(called)) return end(called, called.errorType === 'tool_execution_error' ? undefined : '811');
  await countStep(ctx, at, null, '');
  return advance(ctx, at.run, at.index, tool, called.result, integrationId);
}

function countCall(tenantId: string, integrationId: string, outcome: string, code: string | number): void {
  // Deferred like the stage counters: the call's transaction (countStep) is what the dashboard reads.
  processCounterTallies().add({
    tenantId,
    integrationType: 'prebuilt_integration',
    integrationId,
    outcome: `tool_call.${outcome}`,
    code: String(code),
  });
}

/** The step succeeded: record it on the run and hand the next step to agent execution. */
export async function advance(
  ctx: StageContext,
  run: AgentRun,
  index: number,
  tool: ToolDefinition,
  result: ToolResult,
  integrationId: string,
): Promise<StageResult> {
  // `run` is the one loadStepToRun read for this delivery: the update starts from its ETag.
  await updateAgentRun(
    ctx.event.tenantId,
    run.id,
    {
      stepIndex: index,
      step: { status: 'succeeded', summary: result.summary, output: result.output, integrationId },
      status: 'running',
    },
    run,
  );
  return {
    kind: 'next',
    messages: [{ stage: 'agent_execution', step: `s${index + 1}`, agentRunId: run.id, stepIndex: index + 1 }],
    detail: `${tool.id} via ${integrationId}: ${result.summary}`,
    properties: { [FAILURE_PROPERTIES.tool]: tool.id, [FAILURE_PROPERTIES.vendor]: tool.vendor },
  };
}
