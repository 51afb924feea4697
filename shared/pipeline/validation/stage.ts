import { normalizedEventSchema } from '../../events/contract';
import { loadEventPayloadText } from '../../events/event-store';
import { matchIngestFilter } from '../../inbound/ingest-filter';
import { ingestFiltersOf } from '../../inbound/ingest-filters';
import { routeTicketEvent } from '../../routing/ticket-events';
import type { StageContext, StageResult } from '../stage-runner';
import { normalizePayload, PayloadInvalidError } from './normalize';

/**
 * The validation stage: the stored payload → NormalizedEvent, saved on the event, then on to SOP
 * matching. A payload no reader can use fails permanently as `validation_error`; one an ingest
 * filter drops ends `filtered`.
 */
export async function validateEvent(ctx: StageContext): Promise<StageResult> {
  const { event } = ctx;
  // The row the runner read holds the payload (or names its blob): no second read.
  const text = ctx.payloadText ? await ctx.payloadText() : await loadEventPayloadText(event.tenantId, event.id);
  const payload: unknown = text === '' ? null : JSON.parse(text);
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
  if (filtered) {
    return {
      kind: 'done',
      status: 'filtered',
      detail: `filtered by "${filtered.name}" (${filtered.description})`.slice(0, 200),
      // Written by the runner with the row it read, before the event ends `filtered`.
      patch: { type: normalized.type, normalized, filteredBy: filtered.name },
    };
  }
  // A PSA ticket event gets its team here, before SOP matching can fail it (docs/routing.md).
  await routeTicketEvent(event, normalized, ctx.log);
  return {
    kind: 'next',
    messages: [{ stage: 'sop_matching', step: 'main' }],
    detail: `${normalized.type}: ${normalized.subject}`.slice(0, 200),
    properties: { eventType: normalized.type },
    // Written by the runner with the event's move to SOP matching, in one write.
    patch: { type: normalized.type, normalized },
  };
}
