import { normalizedEventSchema } from '../../events/contract';
import { loadEvent, loadEventPayload, updateEvent } from '../../events/event-store';
import { routeTicketEvent } from '../../routing/ticket-events';
import type { StageContext, StageResult } from '../stage-runner';
import { normalizePayload, PayloadInvalidError } from './normalize';

/**
 * The validation stage: the stored payload → NormalizedEvent, saved on the event, then on to SOP
 * matching. A payload no reader can use fails permanently as `validation_error`.
 */
export async function validateEvent(ctx: StageContext): Promise<StageResult> {
  const { event } = ctx;
  const payload = await loadEventPayload(event.tenantId, event.id);
  let normalized: ReturnType<typeof normalizePayload>;
  try {
    normalized = normalizedEventSchema.parse(normalizePayload(event.source, payload, event.receivedAt));
  } catch (error) {
    if (error instanceof PayloadInvalidError) {
      return { kind: 'fail', errorType: 'validation_error', message: error.message, transient: false };
    }
    throw error;
  }
  await updateEvent(event.tenantId, event.id, { type: normalized.type, normalized });
  // A PSA ticket event gets its team here, before SOP matching can fail it (docs/routing.md).
  await routeTicketEvent(event, normalized, ctx.log);
  const after = await loadEvent(event.tenantId, event.id);
  return {
    kind: 'next',
    messages: [{ stage: 'sop_matching', step: 'main' }],
    detail: `${normalized.type}: ${normalized.subject}`.slice(0, 200),
    properties: { eventType: after?.type ?? normalized.type },
  };
}
