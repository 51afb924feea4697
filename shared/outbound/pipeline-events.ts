import { DomainError } from '../errors/domain-error';
import type { NormalizedEvent } from '../events/contract';
import { type EventRecord, loadNormalizedEvent, normalizedOf } from '../events/event-store';
import { errorFields, logger } from '../observability/logger';
import { EVENT_TYPE_NAMES, type EventType, validateEventData } from './event-types';
import { publishEvent } from './publish-event';
import { UnstartedDeliveriesError } from './starter';

/**
 * What the pipeline publishes when an inbound event ends `succeeded`: the normalised event's type,
 * if it is one subscribers can subscribe to, with data built from the normalised fields. Types the
 * catalogue does not have (`ticket.updated`, `alert.resolved`, …) and events whose fields do not
 * make a valid payload (an invoice without a total) are not published; that is logged, not failed.
 */
type Severity = NormalizedEvent['severity'];

const TICKET_PRIORITY: Record<Severity, 'low' | 'medium' | 'high' | 'critical'> = {
  info: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};
const ALERT_SEVERITY: Record<Severity, 'info' | 'low' | 'moderate' | 'high' | 'critical'> = {
  info: 'info',
  low: 'low',
  medium: 'moderate',
  high: 'high',
  critical: 'critical',
};

function company(event: NormalizedEvent): { company?: { id: string } } {
  const id = event.entities.companyId;
  return id ? { company: { id } } : {};
}

function field(event: NormalizedEvent, ...names: string[]): string | number | undefined {
  for (const name of names) {
    const value = event.fields[name];
    if (typeof value === 'string' || typeof value === 'number') return value;
  }
  return undefined;
}

/** The outbound payload for a normalised event, before validation against its type's schema. */
export function outboundDataFor(eventId: string, event: NormalizedEvent): unknown {
  switch (event.type as EventType) {
    case 'ticket.created':
      return {
        ticketId: event.entities.ticketId,
        title: event.subject.slice(0, 1000),
        priority: TICKET_PRIORITY[event.severity],
        ...company(event),
      };
    case 'alert.triggered':
      return {
        alertId: event.entities.alertId ?? eventId,
        severity: ALERT_SEVERITY[event.severity],
        message: event.subject.slice(0, 2000),
        ...(event.entities.deviceId ? { deviceId: event.entities.deviceId } : {}),
        ...company(event),
      };
    case 'company.updated':
      return { companyId: event.entities.companyId, name: event.subject.slice(0, 500), changedFields: [] };
    case 'invoice.created': {
      const total = Number(field(event, 'total', 'data.total', 'Fields.TotalAmount'));
      return {
        invoiceId: event.entities.invoiceId,
        total,
        currency: field(event, 'currency', 'data.currency'),
        ...company(event),
      };
    }
  }
}

function isEventType(type: string): type is EventType {
  return (EVENT_TYPE_NAMES as readonly string[]).includes(type);
}

/**
 * Publish the outbound event of an inbound event that just succeeded. Keyed by the inbound event
 * id, so a redelivered stage message publishes nothing twice. A failure is logged and does not
 * fail the event (subscribers' fan-out must not turn a succeeded event into a failed one); it
 * throws only when deliveries were stored unfiled and not handed over (UnstartedDeliveriesError),
 * so the stage message is abandoned and its redelivery repeats the publication.
 */
export async function publishPipelineOutcome(
  tenantId: string,
  eventId: string,
  /** A redelivered stage message or an event already terminal: the publication may have run. */
  repeat = false,
  /** The event row the caller holds (the stage runner's): its normalized event, without a read. */
  record?: EventRecord,
): Promise<void> {
  try {
    const event = record ? normalizedOf(eventId, record) : await loadNormalizedEvent(tenantId, eventId);
    if (!isEventType(event.type)) return;
    let data: Record<string, unknown>;
    try {
      data = validateEventData(event.type, outboundDataFor(eventId, event));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      logger.info('succeeded event not published: its fields do not make a valid payload', {
        tenantId,
        eventId,
        type: event.type,
        details: error.details,
      });
      return;
    }
    // Attempt 1 in this stage invocation, not through the first-attempt queue (docs/outbound.md).
    const result = await publishEvent(
      tenantId,
      { type: event.type, data, source: event.source, key: eventId, repeat },
      undefined,
      { firstAttempt: 'inline' },
    );
    if (result.deliveries > 0) {
      logger.info('succeeded event published', { tenantId, eventId, type: event.type, deliveries: result.deliveries });
    }
  } catch (error) {
    logger.error('succeeded event not published', { tenantId, eventId, ...errorFields(error) });
    // Deliveries stored without a status key and not handed over: the stage message must come
    // back to repeat the publication (docs/outbound.md, "The first attempt in the publishing process").
    if (error instanceof UnstartedDeliveriesError) throw error;
  }
}
