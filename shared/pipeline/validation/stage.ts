import { normalizedEventSchema } from '../../events/contract';
import { loadEvent, loadEventPayload, updateEvent } from '../../events/event-store';
import { matchIngestFilter } from '../../inbound/ingest-filter';
import { ingestFiltersOf } from '../../inbound/ingest-filters';
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
  // Ingest filters drop what the vendor sends but the tenant never acts on; a replay is someone
  // asking for the event on purpose, so it is not filtered again (docs/pipeline.md, "Ingest filters").
  const filtered =
    event.trigger === 'vendor' && event.webhookId
      ? matchIngestFilter(await ingestFiltersOf(event.tenantId, event.webhookId), event.id, normalized)
      : undefined;
  await updateEvent(event.tenantId, event.id, {
    type: normalized.type,
    normalized,
    ...(filtered ? { filteredBy: filtered.name } : {}),
  });
  if (filtered) {
    return {
      kind: 'done',
      status: 'filtered',
      detail: `filtered by "${filtered.name}" (${filtered.description})`.slice(0, 200),
    };
  }
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
