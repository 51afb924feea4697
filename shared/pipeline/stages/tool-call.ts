import { type AgentRun, loadAgentRun, updateAgentRun } from '../../agents/runs';
import { processCounters } from '../../analytics/deps';
import { ResourceNotFoundError } from '../../errors/domain-error';
import { type ErrorType, FAILURE_PROPERTIES } from '../../events/contract';
import { loadNormalizedEvent } from '../../events/event-store';
import { crashPoint } from '../../faults/crash-points';
import { integrationDeps } from '../../integrations/deps';
import { openIntegrationSession, resolveDefault } from '../../integrations/integrations';
import { renderArguments, TemplateError } from '../../sops/template';
import { findTool } from '../../tools/catalog';
import type { ToolDefinition, ToolResult } from '../../tools/definition';
import { claimWrite, settleWrite, type WriteAddress } from '../../tools/ledger';
import { VendorError } from '../../vendors/contract';
import type { StageContext, StageResult } from '../stage-runner';

/**
 * Tool call: one message per step. Render the step's arguments from the event, open the
 * integration's session, call the tool, and on success hand the next step back to agent
 * execution. Writes go through the vendor-write ledger (DESIGN §9.3). Vendor failures map onto
 * the pipeline's error types: 401/403/404 are configuration (permanent `tool_config_error`),
 * 5xx/timeouts/resets are `vendor_unavailable` and 429 is `rate_limited` (both retried by the
 * stage runner), anything else the vendor refused is `tool_execution_error`.
 */

/** Between the vendor's answer and the ledger's record of it: the window §9.3 is about. */
export const CRASH_AFTER_VENDOR_WRITE = 'tools.call.after-vendor-write';

type Failure = Extract<StageResult, { kind: 'fail' }>;

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

function vendorFailure(error: VendorError, tool: ToolDefinition, props: Record<string, string | number>): Failure {
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
async function integrationFor(
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

export async function toolCallWork(ctx: StageContext): Promise<StageResult> {
  const { tenantId, id: eventId } = ctx.event;
  const index = ctx.message.stepIndex;
  const runId = ctx.message.agentRunId ?? ctx.event.agentRunId ?? undefined;
  const run = runId ? await loadAgentRun(tenantId, runId) : undefined;
  const step = run && index !== undefined ? run.steps[index] : undefined;
  if (!run || index === undefined || !step) {
    return failure(
      'internal_error',
      `Tool call ${ctx.message.step} names no step of an existing agent run.`,
      false,
      {},
    );
  }
  const base = {
    [FAILURE_PROPERTIES.agentRunId]: run.id,
    [FAILURE_PROPERTIES.sopId]: run.sopId,
    [FAILURE_PROPERTIES.tool]: step.tool,
  };
  const failStep = async (result: Failure): Promise<Failure> => {
    // A retried failure leaves the run running; only a final one ends it.
    if (!result.transient) {
      await updateAgentRun(tenantId, run.id, {
        stepIndex: index,
        step: { status: 'failed', error: result.message },
        status: 'failed',
      });
    }
    return result;
  };

  const tool = findTool(step.tool);
  if (!tool)
    return failStep(
      failure(
        'tool_execution_error',
        `The tool "${step.tool}" is not in the catalog; edit SOP "${run.sopName}".`,
        false,
        base,
      ),
    );
  const props = { ...base, [FAILURE_PROPERTIES.vendor]: tool.vendor };

  let args: unknown;
  try {
    const rendered = renderArguments(step.args, { id: eventId, event: await loadNormalizedEvent(tenantId, eventId) });
    const parsed = tool.args.safeParse(rendered);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return failStep(
        failure(
          'tool_execution_error',
          `Step ${index + 1} of SOP "${run.sopName}": argument "${issue?.path.join('.') ?? '?'}" of ${tool.id} is not valid after rendering: ${issue?.message ?? 'invalid'}.`,
          false,
          props,
        ),
      );
    }
    args = parsed.data;
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return failStep(
      failure(
        'tool_execution_error',
        `Step ${index + 1} of SOP "${run.sopName}" (${tool.id}): ${error.message}.`,
        false,
        props,
      ),
    );
  }

  const integrationId = await integrationFor(ctx, run, index, tool);
  if (!integrationId) {
    return failStep(
      failure(
        'integration_missing',
        `No ${tool.vendor} integration is connected for ${tool.id}: connect one, or name integrationId in step ${index + 1} of SOP "${run.sopName}".`,
        false,
        props,
      ),
    );
  }
  let opened: Awaited<ReturnType<typeof openIntegrationSession>>;
  try {
    opened = await openIntegrationSession(integrationDeps(), tenantId, integrationId, ctx.correlationId);
  } catch (error) {
    if (!(error instanceof ResourceNotFoundError)) throw error;
    return failStep(
      failure(
        'integration_missing',
        `Integration ${integrationId} (named for step ${index + 1} of SOP "${run.sopName}") does not exist.`,
        false,
        props,
      ),
    );
  }
  if (opened.record.vendor !== tool.vendor) {
    return failStep(
      failure(
        'tool_config_error',
        `Step ${index + 1} of SOP "${run.sopName}" calls ${tool.id} through integration ${integrationId}, which is a ${opened.record.vendor} integration.`,
        false,
        props,
      ),
    );
  }

  const address: WriteAddress = { tenantId, eventId, step: ctx.message.step };
  let result: ToolResult;
  if (tool.writes) {
    const claim = await claimWrite(address, {
      tool: tool.id,
      vendor: tool.vendor,
      integrationId,
      attempt: ctx.message.attempt,
    });
    if (claim.kind === 'unknown') {
      return failStep(
        failure(
          'outcome_unknown',
          `A ${tool.id} call started at ${claim.since} (attempt ${claim.attempt + 1}) never recorded its outcome: the process stopped mid-call, so it was not sent again. Check ${tool.checkAtVendor(args as Record<string, unknown>)} in ${tool.vendor}; if it is missing, replay the event.`,
          false,
          props,
        ),
      );
    }
    if (claim.kind === 'done') return advance(ctx, run, index, tool, claim.result, integrationId);
  }
  try {
    result = await tool.execute(opened.session, args);
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
    if (tool.writes) await settleWrite(address, { status: 'failed', error: mapped.message });
    await countCall(
      tenantId,
      integrationId,
      'failed',
      mapped.properties?.[FAILURE_PROPERTIES.vendorStatus] ?? mapped.errorType,
    );
    return failStep(mapped);
  }
  crashPoint(CRASH_AFTER_VENDOR_WRITE);
  if (tool.writes) await settleWrite(address, { status: 'succeeded', result });
  await countCall(tenantId, integrationId, 'succeeded', tool.id);
  return advance(ctx, run, index, tool, result, integrationId);
}

async function countCall(
  tenantId: string,
  integrationId: string,
  outcome: string,
  code: string | number,
): Promise<void> {
  await processCounters().increment({
    tenantId,
    integrationType: 'prebuilt_integration',
    integrationId,
    outcome: `tool_call.${outcome}`,
    code: String(code),
  });
}

async function advance(
  ctx: StageContext,
  run: AgentRun,
  index: number,
  tool: ToolDefinition,
  result: ToolResult,
  integrationId: string,
): Promise<StageResult> {
  await updateAgentRun(ctx.event.tenantId, run.id, {
    stepIndex: index,
    step: { status: 'succeeded', summary: result.summary, output: result.output, integrationId },
    status: 'running',
  });
  return {
    kind: 'next',
    messages: [{ stage: 'agent_execution', step: `s${index + 1}`, agentRunId: run.id, stepIndex: index + 1 }],
    detail: `${tool.id} via ${integrationId}: ${result.summary}`,
    properties: { [FAILURE_PROPERTIES.tool]: tool.id, [FAILURE_PROPERTIES.vendor]: tool.vendor },
  };
}
