import { randomUUID } from 'node:crypto';
import { type AgentRun, createAgentRun } from '../../shared/agents/runs';
import type { NormalizedEvent, Stage, StageMessage } from '../../shared/events/contract';
import { createEvent, loadEvent, updateEvent } from '../../shared/events/event-store';
import { createLogger } from '../../shared/observability/logger';
import type { StageContext } from '../../shared/pipeline/stage-runner';

export type RunSteps = AgentRun['steps'];

/**
 * A stored vendor event already normalised and at `at.stage`: what the pipeline stages read. The
 * normalised fields default to an Autotask "disk full" ticket; `overrides` replace any of them.
 */
export async function storeNormalizedEvent(
  tenantId: string,
  overrides: Partial<NormalizedEvent>,
  at: { stage: Stage; status: 'processing' | 'awaiting_approval' },
): Promise<{ id: string }> {
  const { view } = await createEvent({
    tenantId,
    source: 'autotask',
    webhookId: null,
    integrationId: null,
    trigger: 'vendor',
    replayOf: null,
    correlationId: `corr-${randomUUID()}`,
    dedupKey: null,
    bodyText: '{}',
  });
  const normalized: NormalizedEvent = {
    source: 'autotask',
    type: 'ticket.created',
    subject: 'Disk full on SRV01',
    severity: 'high',
    entities: { ticketId: '123' },
    keywords: ['disk_full'],
    fields: {},
    occurredAt: '2026-01-01T09:00:00.000Z',
    ...overrides,
  };
  await updateEvent(tenantId, view.id, { normalized, type: normalized.type, status: at.status, stage: at.stage });
  return { id: view.id };
}

/**
 * An event stored as validation leaves it (normalised, processing), an agent run of `steps` for
 * it, and the stage context a message for `stage`/`step` would give a stage's work function —
 * built through the capabilities' own verbs on whatever services() holds (the in-memory account in
 * unit tests, test/support/memory-services.ts).
 */
export async function storedRunContext(input: {
  tenantId: string;
  steps: RunSteps;
  stage: Stage;
  step: (run: AgentRun) => string;
  stepIndex?: number;
  event?: Partial<NormalizedEvent>;
  eventStatus?: 'processing' | 'awaiting_approval';
}): Promise<StageContext & { run: AgentRun }> {
  const { tenantId } = input;
  const { id: eventId } = await storeNormalizedEvent(
    tenantId,
    { entities: { ticketId: '4711' }, occurredAt: '2026-01-01T09:00:00.000Z', ...input.event },
    { stage: input.stage, status: input.eventStatus ?? 'processing' },
  );
  const view = { id: eventId };
  const { run } = await createAgentRun({
    tenantId,
    eventId: view.id,
    sop: { id: 'sop-1', name: 'Disk full', version: 1, steps: input.steps },
  });
  const message: StageMessage = {
    v: 1,
    tenantId,
    eventId: view.id,
    stage: input.stage,
    step: input.step(run),
    attempt: 0,
    agentRunId: run.id,
    ...(input.stepIndex === undefined ? {} : { stepIndex: input.stepIndex }),
  };
  const event = await loadEvent(tenantId, view.id);
  if (!event) throw new Error(`event ${view.id} was not stored`);
  return {
    run,
    message,
    received: {
      body: message,
      messageId: `${view.id}:${input.stage}:${message.step}`,
      deliveryCount: 1,
      enqueuedTimeUtc: new Date(),
      applicationProperties: {},
    },
    event: { ...event, agentRunId: run.id },
    log: createLogger({ test: input.stage }),
    correlationId: event.correlationId,
  };
}
