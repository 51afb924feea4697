import type { BusSender } from '../bus/port';
import { FAILURE_PROPERTIES, STAGE_QUEUES, type StageMessage, stageMessageSchema } from './contract';

/**
 * How an event enters a stage: the one message shape every sender uses (receive, the stage runner,
 * approvals, replay), so inbound and approvals reach the pipeline's queues without importing the
 * runner that consumes them.
 */
/** Send one stage message: id `{eventId}:{stage}:{step}:{attempt}`, the failure properties on it. */
export async function sendToStage(
  bus: BusSender,
  tenantId: string,
  eventId: string,
  target: Pick<StageMessage, 'stage' | 'step'> & Partial<StageMessage>,
  properties?: Record<string, string | number>,
  options: { correlationId?: string; duplicatesTolerated?: boolean } = {},
): Promise<void> {
  const body: StageMessage = stageMessageSchema.parse({
    v: 1,
    tenantId,
    eventId,
    stage: target.stage,
    step: target.step,
    attempt: target.attempt ?? 0,
    ...(target.agentRunId !== undefined ? { agentRunId: target.agentRunId } : {}),
    ...(target.stepIndex !== undefined ? { stepIndex: target.stepIndex } : {}),
  });
  await bus.send(STAGE_QUEUES[target.stage], body, {
    messageId: `${eventId}:${body.stage}:${body.step}:${body.attempt}`,
    correlationId: options.correlationId ?? eventId,
    ...(options.duplicatesTolerated ? { duplicatesTolerated: true } : {}),
    applicationProperties: {
      ...(properties ?? {}),
      [FAILURE_PROPERTIES.tenantId]: tenantId,
      [FAILURE_PROPERTIES.eventId]: eventId,
      [FAILURE_PROPERTIES.stage]: target.stage,
    },
  });
}

/** A new or re-sent event's first message: validation, step main (receive, replay, the stuck sweep). */
export async function enqueueValidation(
  deps: { bus: () => BusSender },
  tenantId: string,
  eventId: string,
  source: string,
  correlationId: string,
): Promise<void> {
  // Duplicates tolerated: the dedup row already makes a delivery one event, and validation is
  // idempotent per step, so the emulated bus's ledger would buy nothing here (docs/bus.md). On
  // Service Bus the broker still drops a repeated message id.
  await sendToStage(
    deps.bus(),
    tenantId,
    eventId,
    { stage: 'validation', step: 'main' },
    { vendor: source },
    { correlationId, duplicatesTolerated: true },
  );
}
