import type { Principal } from '../apikeys/principal';
import { nowMs } from '../clock';
import { ResourceNotFoundError } from '../errors/domain-error';
import type { IngestFilter } from '../inbound/ingest-filter';
import type { SopView } from '../sops/api-schemas';
import type { MatchableSop } from '../sops/match';
import { findTool } from '../tools/catalog';
import type { VendorId } from '../vendors/contract';
import {
  type FilterPlan,
  type IntegrationChoice,
  type MatchPlan,
  planFilter,
  planMatching,
  planSteps,
  planValidation,
  SAMPLE_EVENT_ID,
  type StepPlan,
  type ValidationPlan,
  type Verdict,
  verdictOf,
} from './plan';
import { samplePayload } from './samples';

/**
 * The two dry runs (docs/pipeline.md, "Dry run"): a sample or given payload against a webhook, and
 * a stored event. Both read what the stages would read (the webhook's filters, the tenant's SOPs,
 * integrations) and then plan with plan.ts. The deps below are reads only — there is nothing in
 * reach to write with, and no vendor session is ever opened: tools are looked up in the catalog for
 * their argument schemas, never executed.
 */
export interface DryRunDeps {
  /** The caller's webhook (throws not found otherwise). */
  webhook(caller: Principal, id: string): Promise<WebhookFacts>;
  /** The caller's stored event and its payload text, or undefined. */
  storedEvent(tenantId: string, id: string): Promise<StoredEventFacts | undefined>;
  /** The webhook's ingest filters; none when it is gone. */
  filtersOf(tenantId: string, webhookId: string): Promise<IngestFilter[]>;
  enabledSops(tenantId: string): Promise<MatchableSop[]>;
  findSop(tenantId: string, id: string): Promise<SopView | undefined>;
  /** An integration's vendor, or undefined when the tenant has no such integration. */
  integrationVendor(tenantId: string, id: string): Promise<string | undefined>;
  defaultIntegration(tenantId: string, vendor: VendorId): Promise<string | undefined>;
}

export interface WebhookFacts {
  id: string;
  source: string;
  integrationId: string | null;
  filters: IngestFilter[];
}

export interface StoredEventFacts {
  id: string;
  source: string;
  webhookId: string | null;
  integrationId: string | null;
  receivedAt: string;
  payloadText: string;
}

export interface DryRunResult {
  dryRun: true;
  /** `sample`: built from the source's example; `given`: the request's; `stored`: the event's. */
  payloadFrom: 'sample' | 'given' | 'stored';
  source: string;
  webhookId: string | null;
  eventId: string | null;
  verdict: Verdict;
  validation: ValidationPlan;
  filter: FilterPlan | null;
  sopMatching: MatchPlan | null;
  sop: { id: string; name: string; version: number } | null;
  steps: StepPlan[];
  /** Stated for the reader: what the dry run did not do. */
  sideEffects: { eventsCreated: 0; vendorCalls: 0; approvalsRequested: 0; storageWrites: 0 };
}

const NO_SIDE_EFFECTS = { eventsCreated: 0, vendorCalls: 0, approvalsRequested: 0, storageWrites: 0 } as const;

interface Subject {
  tenantId: string;
  eventId: string;
  source: string;
  webhookId: string | null;
  integrationId: string | null;
  payload: unknown;
  payloadFrom: DryRunResult['payloadFrom'];
  receivedAt: string;
  filters: IngestFilter[];
  filtersApply: boolean;
}

/** The integration each step would run through: named, else the event's own (same vendor), else the default. */
async function integrationsFor(deps: DryRunDeps, subject: Subject, sop: SopView): Promise<IntegrationChoice[]> {
  const defaults = new Map<string, Promise<string | undefined>>();
  return Promise.all(
    sop.steps.map(async (step): Promise<IntegrationChoice> => {
      const tool = findTool(step.tool);
      if (!tool) return null;
      if (step.integrationId) {
        const vendor = await deps.integrationVendor(subject.tenantId, step.integrationId);
        return vendor ? { id: step.integrationId, vendor } : null;
      }
      if (subject.integrationId && subject.source === tool.vendor) {
        return { id: subject.integrationId, vendor: tool.vendor };
      }
      if (!defaults.has(tool.vendor)) defaults.set(tool.vendor, deps.defaultIntegration(subject.tenantId, tool.vendor));
      const id = await defaults.get(tool.vendor);
      return id ? { id, vendor: tool.vendor } : null;
    }),
  );
}

async function run(deps: DryRunDeps, subject: Subject): Promise<DryRunResult> {
  const { validation, event } = planValidation(subject.source, subject.payload, subject.receivedAt);
  let filter: FilterPlan | null = null;
  let sopMatching: MatchPlan | null = null;
  let sop: SopView | undefined;
  let steps: StepPlan[] = [];
  if (event) {
    filter = planFilter(subject.filters, subject.eventId, event, subject.filtersApply);
    // Matching and the steps are planned even for a filtered event: what it would have done is
    // exactly what an admin writing a filter wants to see.
    sopMatching = planMatching(await deps.enabledSops(subject.tenantId), subject.eventId, event);
    sop = sopMatching.matched ? await deps.findSop(subject.tenantId, sopMatching.matched.sopId) : undefined;
    if (sop) {
      steps = planSteps({
        eventId: subject.eventId,
        event,
        sopName: sop.name,
        steps: sop.steps,
        integrations: await integrationsFor(deps, subject, sop),
      });
    }
  }
  return {
    dryRun: true,
    payloadFrom: subject.payloadFrom,
    source: subject.source,
    webhookId: subject.webhookId,
    eventId: subject.eventId === SAMPLE_EVENT_ID ? null : subject.eventId,
    verdict: verdictOf({ validation, filter, matching: sopMatching, steps, sopName: sop?.name ?? null }),
    validation,
    filter,
    sopMatching,
    sop: sop ? { id: sop.id, name: sop.name, version: sop.version } : null,
    steps,
    sideEffects: NO_SIDE_EFFECTS,
  };
}

/** `POST /api/v1/webhooks/{id}/test`: as if the vendor had delivered `payload` (or its example). */
export async function dryRunWebhook(
  deps: DryRunDeps,
  caller: Principal,
  webhookId: string,
  payload: unknown,
): Promise<DryRunResult> {
  const webhook = await deps.webhook(caller, webhookId);
  const given = payload !== undefined;
  return run(deps, {
    tenantId: caller.tenantId,
    eventId: SAMPLE_EVENT_ID,
    source: webhook.source,
    webhookId: webhook.id,
    integrationId: webhook.integrationId,
    payload: given ? payload : samplePayload(webhook.source),
    payloadFrom: given ? 'given' : 'sample',
    receivedAt: new Date(nowMs()).toISOString(),
    filters: webhook.filters,
    filtersApply: true,
  });
}

/**
 * `POST /api/v1/events/{id}/dry-run`: what replaying the stored event would do now, with today's
 * SOPs and integrations. A replay is not filtered, so the filter that would drop a vendor's
 * delivery of it is reported but does not stop the plan.
 */
export async function dryRunEvent(deps: DryRunDeps, caller: Principal, eventId: string): Promise<DryRunResult> {
  const stored = await deps.storedEvent(caller.tenantId, eventId);
  if (!stored) throw new ResourceNotFoundError('event', eventId);
  let payload: unknown = null;
  if (stored.payloadText !== '') {
    try {
      payload = JSON.parse(stored.payloadText);
    } catch {
      // Receive stores JSON only; a row that is not is planned as what validation would refuse.
      payload = stored.payloadText;
    }
  }
  return run(deps, {
    tenantId: caller.tenantId,
    eventId: stored.id,
    source: stored.source,
    webhookId: stored.webhookId,
    integrationId: stored.integrationId,
    payload,
    payloadFrom: 'stored',
    receivedAt: stored.receivedAt,
    filters: stored.webhookId ? await deps.filtersOf(caller.tenantId, stored.webhookId) : [],
    filtersApply: false,
  });
}
