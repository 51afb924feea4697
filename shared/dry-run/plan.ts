import { z } from 'zod';
import type { ErrorType, NormalizedEvent } from '../events/contract';
import { normalizedEventSchema } from '../events/contract';
import { type FilterMatch, type IngestFilter, matchIngestFilter } from '../inbound/ingest-filter';
import { normalizePayload, PayloadInvalidError } from '../pipeline/validation/normalize';
import type { SopStep } from '../sops/api-schemas';
import { conditionHolds, describeCondition } from '../sops/conditions';
import type { ContextValue, EventContext } from '../sops/event-context';
import { type Candidate, type MatchableSop, matchSops } from '../sops/match';
import { renderArguments, TemplateError } from '../sops/template';
import { findTool } from '../tools/catalog';

/**
 * The dry run's reasoning, pure: the same functions the stages run (normalisation, the ingest
 * filters, SOP matching, step conditions, argument templates, the tools' argument schemas) over
 * values the caller loaded, with no storage and no vendor in reach. What the stages would *do*
 * with each answer (write the event, create the run, ask for an approval, call the vendor) is
 * only described. docs/pipeline.md, "Dry run".
 */

/** What `event.id` renders to when the event is a sample that was never stored. */
export const SAMPLE_EVENT_ID = 'dry-run';

export type DryRunOutcome = 'succeeded' | 'awaiting_approval' | 'filtered' | 'failed';

export interface ValidationPlan {
  ok: boolean;
  /** The normalised event the validation stage would store. */
  event: NormalizedEvent | null;
  /** Why the validation stage would fail the event (`validation_error`). */
  error: string | null;
}

/** Validation (normalisation) and the webhook's ingest filters. */
export function planValidation(
  source: string,
  payload: unknown,
  receivedAt: string,
): { validation: ValidationPlan; event?: NormalizedEvent } {
  try {
    const event = normalizedEventSchema.parse(normalizePayload(source, payload, receivedAt));
    return { validation: { ok: true, event, error: null }, event };
  } catch (error) {
    if (error instanceof PayloadInvalidError) return { validation: { ok: false, event: null, error: error.message } };
    // A reader that produced something the event schema refuses would crash the real stage (and
    // end `crashed`); a dry run says so instead of answering 500.
    if (error instanceof z.ZodError) {
      return {
        validation: {
          ok: false,
          event: null,
          error: `the normalised event is not valid: ${error.issues[0]?.message ?? ''}`,
        },
      };
    }
    throw error;
  }
}

export interface FilterPlan {
  /** The rule that drops this event when a vendor delivers it, or null. */
  matched: FilterMatch | null;
  /** False for a replay (a replay is not filtered), so the rest of the plan still runs. */
  applies: boolean;
}

export function planFilter(
  filters: readonly IngestFilter[],
  eventId: string,
  event: NormalizedEvent,
  applies: boolean,
): FilterPlan {
  return { matched: matchIngestFilter(filters, eventId, event) ?? null, applies };
}

export interface MatchPlan {
  matched: Candidate | null;
  candidates: Candidate[];
  /** The `no_sop_matched` message the stage would fail with, or null when a SOP matched. */
  error: string | null;
}

export function planMatching(sops: readonly MatchableSop[], eventId: string, event: NormalizedEvent): MatchPlan {
  const outcome = matchSops(sops, eventId, event);
  const closest = outcome.candidates[0];
  return {
    matched: outcome.matched,
    candidates: outcome.candidates,
    error: outcome.matched
      ? null
      : `No enabled SOP matches this ${event.source} ${event.type} event (keywords: ${event.keywords.join(', ') || 'none'}). ${
          closest
            ? `Closest: "${closest.name}" (${closest.sopId}, score ${closest.score}): ${closest.missed.join('; ')}.`
            : 'The tenant has no enabled SOPs.'
        }`,
  };
}

export type StepStatus = 'would_run' | 'would_skip' | 'needs_approval' | 'would_fail';

export interface StepPlan {
  index: number;
  name: string | null;
  tool: string;
  vendor: string | null;
  /** The tool changes something at the vendor (it would go through the vendor-write ledger). */
  writes: boolean;
  status: StepStatus;
  condition: { text: string; holds: boolean } | null;
  /** The arguments as the tool would receive them (rendered, then parsed by the tool's schema). */
  args: Record<string, unknown> | null;
  integrationId: string | null;
  approvalReason: string | null;
  errorType: ErrorType | null;
  error: string | null;
}

/** The integration a step would run through, as the tool-call stage resolves it (null: none). */
export type IntegrationChoice = { id: string; vendor: string } | null;

export interface StepPlanInput {
  eventId: string;
  event: NormalizedEvent;
  sopName: string;
  steps: readonly SopStep[];
  /** Per step, the integration the caller resolved for it (read-only lookups). */
  integrations: readonly IntegrationChoice[];
}

function planStep(input: StepPlanInput, index: number): StepPlan {
  const step = input.steps[index]!;
  const context: EventContext = { id: input.eventId, event: input.event };
  const tool = findTool(step.tool);
  const base: StepPlan = {
    index,
    name: step.name ?? null,
    tool: step.tool,
    vendor: tool?.vendor ?? null,
    writes: tool?.writes ?? false,
    status: 'would_run',
    condition: step.condition
      ? { text: describeCondition(step.condition), holds: conditionHolds(step.condition, context) }
      : null,
    args: null,
    integrationId: null,
    approvalReason: null,
    errorType: null,
    error: null,
  };
  const fail = (errorType: ErrorType, error: string): StepPlan => ({ ...base, status: 'would_fail', errorType, error });
  if (!tool) return fail('tool_execution_error', `the catalog has no tool "${step.tool}"`);
  if (base.condition && !base.condition.holds) return { ...base, status: 'would_skip' };
  let rendered: Record<string, ContextValue>;
  try {
    rendered = renderArguments(step.args, context);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return fail('tool_execution_error', error.message);
  }
  const parsed = tool.args.safeParse(rendered);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ...fail(
        'tool_execution_error',
        `argument "${issue?.path.join('.') ?? '?'}" is not valid after rendering: ${issue?.message ?? 'invalid'}`,
      ),
      args: rendered,
    };
  }
  const args = parsed.data as Record<string, unknown>;
  const integration = input.integrations[index] ?? null;
  const withArgs: StepPlan = { ...base, args, integrationId: integration?.id ?? null };
  if (!integration) {
    return {
      ...withArgs,
      status: 'would_fail',
      errorType: 'integration_missing',
      error: `no ${tool.vendor} integration is connected for ${tool.id}`,
    };
  }
  if (integration.vendor !== tool.vendor) {
    return {
      ...withArgs,
      status: 'would_fail',
      errorType: 'tool_config_error',
      error: `integration ${integration.id} is a ${integration.vendor} integration, not ${tool.vendor}`,
    };
  }
  if (step.requiresApproval || tool.alwaysRequiresApproval) {
    return {
      ...withArgs,
      status: 'needs_approval',
      approvalReason: tool.alwaysRequiresApproval
        ? `${tool.id} always needs an approval`
        : 'the SOP step asks for an approval',
    };
  }
  return withArgs;
}

/**
 * Every step of the SOP, in order, each judged on its own (a real run stops at the first step
 * that fails or waits for an approval; the plan still shows the ones after it, so one dry run
 * finds every broken template).
 */
export function planSteps(input: StepPlanInput): StepPlan[] {
  return input.steps.map((_, index) => planStep(input, index));
}

export interface Verdict {
  outcome: DryRunOutcome;
  stage: 'validation' | 'sop_matching' | 'agent_execution' | 'tool_call' | null;
  errorType: ErrorType | null;
  /** The step the run would stop at (failure or approval), or null. */
  stopsAtStep: number | null;
  summary: string;
}

/** Where the event would end, read off the plan in the order the stages run. */
export function verdictOf(parts: {
  validation: ValidationPlan;
  filter: FilterPlan | null;
  matching: MatchPlan | null;
  steps: readonly StepPlan[];
  sopName: string | null;
}): Verdict {
  if (!parts.validation.ok) {
    return {
      outcome: 'failed',
      stage: 'validation',
      errorType: 'validation_error',
      stopsAtStep: null,
      summary: `validation would fail: ${parts.validation.error ?? ''}`,
    };
  }
  if (parts.filter?.applies && parts.filter.matched) {
    return {
      outcome: 'filtered',
      stage: 'validation',
      errorType: null,
      stopsAtStep: null,
      summary: `the ingest filter "${parts.filter.matched.name}" would drop it (status filtered, not a failure)`,
    };
  }
  if (!parts.matching?.matched) {
    return {
      outcome: 'failed',
      stage: 'sop_matching',
      errorType: 'no_sop_matched',
      stopsAtStep: null,
      summary: parts.matching?.error ?? 'no SOP would match',
    };
  }
  const stop = parts.steps.find((s) => s.status === 'would_fail' || s.status === 'needs_approval');
  if (stop?.status === 'would_fail') {
    return {
      outcome: 'failed',
      stage: stop.errorType === 'tool_execution_error' && !stop.vendor ? 'agent_execution' : 'tool_call',
      errorType: stop.errorType,
      stopsAtStep: stop.index,
      summary: `step ${stop.index + 1} (${stop.tool}) would fail: ${stop.error ?? ''}`,
    };
  }
  if (stop?.status === 'needs_approval') {
    return {
      outcome: 'awaiting_approval',
      stage: 'agent_execution',
      errorType: null,
      stopsAtStep: stop.index,
      summary: `step ${stop.index + 1} (${stop.tool}) would wait for an approval: ${stop.approvalReason ?? ''}`,
    };
  }
  const runs = parts.steps.filter((s) => s.status === 'would_run').length;
  return {
    outcome: 'succeeded',
    stage: null,
    errorType: null,
    stopsAtStep: null,
    summary: `SOP "${parts.sopName ?? ''}" would run ${runs} tool call${runs === 1 ? '' : 's'} and succeed`,
  };
}
