import { z } from 'zod';
import { type StepAddress, stepMessageId } from '../bus/retry';

/** The health-probe queue (infra/main.bicep declares it beside the stage queues). */
export const PROBE_QUEUE = 'health-probe';

/**
 * One probe of one integration. Carries ids only (docs/design.md §10.2): the handler loads and decrypts
 * the credentials itself. `runId` names the timer tick or recheck that started the run; `attempt`
 * counts the planned retries inside that run.
 */
export const probeMessageSchema = z.object({
  v: z.literal(1),
  tenantId: z.string().min(1).max(128),
  integrationId: z.string().min(1).max(64),
  runId: z.string().min(1).max(64),
  attempt: z.number().int().min(0).max(10),
  trigger: z.enum(['timer', 'recheck', 'stuck']),
});
export type ProbeMessage = z.infer<typeof probeMessageSchema>;

/** A probe run as a planned-retry step: duplicate detection keeps one message per run and attempt. */
export function probeAddress(message: Pick<ProbeMessage, 'integrationId' | 'runId' | 'attempt'>): StepAddress {
  return { eventId: message.integrationId, stage: 'probe', step: message.runId, attempt: message.attempt };
}

export function probeMessageId(message: Pick<ProbeMessage, 'integrationId' | 'runId' | 'attempt'>): string {
  return stepMessageId(probeAddress(message));
}
