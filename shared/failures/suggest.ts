import type { ErrorType, Stage } from '../events/contract';

/**
 * Suggested fixes (docs/design.md §6.8): one sentence or two for the admin, naming the vendor, tool,
 * keyword, status or SOP of this very case — never a generic "something went wrong".
 */
export interface FixContext {
  errorType: string;
  stage: Stage;
  source: string | null;
  message: string;
  metadata: Record<string, string | number>;
  keywords: string[];
}

const VENDOR_NAMES: Record<string, string> = {
  autotask: 'Autotask',
  halopsa: 'Halo PSA',
  'datto-rmm': 'Datto RMM',
  'datto-edr': 'Datto EDR',
  itglue: 'IT Glue',
  pax8: 'Pax8',
  unifi: 'UniFi',
  microsoft365: 'Microsoft 365',
  generic: 'the sender',
};

export function vendorName(id: string | null | undefined): string {
  return id ? (VENDOR_NAMES[id] ?? id) : 'the vendor';
}

const STAGE_WORDS: Record<Stage, string> = {
  validation: 'validation',
  sop_matching: 'SOP matching',
  agent_dispatch: 'agent dispatch',
  agent_execution: 'agent execution',
  tool_call: 'the tool call',
};

function text(value: string | number | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : String(value);
}

export function suggestFix(ctx: FixContext): string {
  const m = ctx.metadata;
  const vendorId = text(m['vendor']) ?? ctx.source ?? undefined;
  const vendor = vendorName(vendorId);
  const tool = text(m['tool']);
  const status = text(m['vendorStatus']);
  const sop = text(m['sopId']);
  const toolPart = tool ? `the tool '${tool}'` : 'the tool call';
  switch (ctx.errorType as ErrorType) {
    case 'no_sop_matched': {
      const keyword = text(m['keyword']) ?? ctx.keywords[0];
      const base = keyword
        ? `Create a SOP with keyword '${keyword}' for source '${ctx.source ?? vendorId ?? 'generic'}'`
        : `Create a SOP for source '${ctx.source ?? vendorId ?? 'generic'}' and this event type`;
      const closest = text(m['closestSopId']);
      const score = text(m['closestSopScore']);
      return closest
        ? `${base}, or widen SOP ${closest} (closest match, score ${score ?? '?'}) so it covers this event; then replay the event.`
        : `${base}; then replay the event.`;
    }
    case 'validation_error':
      return `The ${vendor} payload could not be read (${ctx.message}). Check that the webhook is registered for the right integration and that ${vendor} sends the fields named; a generic sender must send {"type": "ticket.created", ...} (docs/webhooks-receiving.md). Replay once fixed.`;
    case 'signature_invalid':
      return `Check that ${vendor} signs with the current secret of this webhook.`;
    case 'tool_config_error':
      if (status === '401')
        return `Re-enter the ${vendor} API credentials of this integration: ${vendor} answered 401 to ${toolPart}. Then replay the event.`;
      if (status === '403')
        return `Give the ${vendor} API user permission for ${toolPart}: ${vendor} answered 403. Then replay the event.`;
      if (status === '404')
        return `${vendor} answered 404 to ${toolPart}: check that the record the SOP${sop ? ` ${sop}` : ''} step targets exists and that the integration's base URL is right.`;
      return `${vendor} refused ${toolPart}${status ? ` with ${status}` : ''}: check the integration's configuration and the SOP${sop ? ` ${sop}` : ''} step's arguments.`;
    case 'vendor_unavailable':
      return `${vendor} was unavailable${status ? ` (HTTP ${status})` : ''} on every attempt of ${toolPart}. Check ${vendor}'s status page or the integration's health, then replay the event.`;
    case 'rate_limited':
      return `${vendor} kept answering 429 to ${toolPart}. Spread the work (fewer SOP steps per event, or a quieter schedule) or raise the ${vendor} API quota, then replay the event.`;
    case 'tool_execution_error':
      return `${toolPart} failed at ${vendor}${status ? ` (HTTP ${status})` : ''}: ${ctx.message}. Check the arguments SOP${sop ? ` ${sop}` : ''} passes to it, then replay the event.`;
    case 'approval_rejected':
      return `An approver rejected ${toolPart}. If it should run after all, replay the event and approve it; otherwise change SOP${sop ? ` ${sop}` : ''}.`;
    case 'approval_expired':
      return `No one approved or rejected ${toolPart} before the approval expired. Replay the event and decide on the approval in time, or lengthen the approval expiry.`;
    case 'outcome_unknown':
      return `The hub stopped after sending ${toolPart} to ${vendor} and before recording its answer, so it did not send it again. Check in ${vendor} whether it took effect${text(m['ticketId']) ? ` (ticket ${m['ticketId']})` : ''} before replaying: a replay writes again.`;
    case 'integration_missing':
      return `Add a ${vendor} integration (or mark one as default) in this tenant: SOP${sop ? ` ${sop}` : ''} needs it for ${toolPart}. Then replay the event.`;
    case 'crashed':
      return `The ${STAGE_WORDS[ctx.stage]} handler failed on every delivery (${ctx.message}). Search the logs for correlation id ${text(m['correlationId']) ?? 'of this event'}, fix the cause, then replay the event.`;
    default:
      return `${STAGE_WORDS[ctx.stage]} failed: ${ctx.message}. Search the logs for correlation id ${text(m['correlationId']) ?? 'of this event'}; replay the event once the cause is fixed.`;
  }
}
