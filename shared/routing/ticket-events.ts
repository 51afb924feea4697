import type { NormalizedEvent } from '../events/contract';
import type { EventView } from '../events/event-store';
import { errorFields, type Logger } from '../observability/logger';
import type { RoutableTicket } from './api-schemas';
import { routeTicket } from './decisions';
import { routingDeps } from './deps';
import { recordRoutingError } from './routing-errors';

/**
 * Webhook-created tickets get a team too (docs/routing.md, "Where routing runs"): the validation
 * stage, which turns a vendor payload into the normalised event, hands each PSA ticket event here.
 * Routing never fails the event: an unexpected error is recorded as a routing error and the
 * pipeline goes on to SOP matching.
 */

/** The PSAs whose webhooks carry tickets, and the ticket events that route. */
const TICKET_SOURCES = new Set(['autotask', 'halopsa']);
const ROUTED_TYPES = new Set(['ticket.created', 'ticket.updated']);

type Fields = NormalizedEvent['fields'];

/** The first non-empty value among dotted paths (Halo may nest the ticket under `ticket`). */
function field(fields: Fields, ...paths: string[]): string | null {
  for (const path of paths) {
    for (const candidate of [path, `ticket.${path}`]) {
      const value = fields[candidate];
      if (typeof value === 'string' && value.trim() !== '') return value.trim();
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    }
  }
  return null;
}

const cap = (value: string | null, max: number) => (value === null ? null : value.slice(0, max));

/**
 * The routable ticket of a normalised PSA ticket event, or undefined for anything else. Priority
 * is the hub's severity word (critical, high, medium, low), the same for both PSAs, so one rule
 * covers Autotask's numeric priorities and Halo's named ones.
 */
export function routableTicketOf(
  event: Pick<EventView, 'tenantId' | 'integrationId'>,
  normalized: NormalizedEvent,
): RoutableTicket | undefined {
  if (!TICKET_SOURCES.has(normalized.source) || !ROUTED_TYPES.has(normalized.type)) return undefined;
  const ticketId = normalized.entities['ticketId'];
  if (ticketId === undefined) return undefined;
  const f = normalized.fields;
  const autotask = normalized.source === 'autotask';
  return {
    tenantId: event.tenantId,
    vendor: autotask ? 'autotask' : 'halopsa',
    ticketId: ticketId.slice(0, 64),
    integrationId: event.integrationId,
    clientId: cap(normalized.entities['companyId'] ?? null, 64),
    clientName: cap(autotask ? null : field(f, 'client_name'), 200),
    category: cap(
      autotask ? field(f, 'Fields.IssueType', 'Fields.TicketCategory') : field(f, 'category_1', 'tickettype_name'),
      200,
    ),
    priority: normalized.severity,
    board: cap(autotask ? field(f, 'Fields.QueueID') : field(f, 'team', 'team_name'), 200),
    subject: cap(normalized.subject, 500),
    summary: cap(autotask ? field(f, 'Fields.Description') : field(f, 'details'), 4000),
  };
}

/** Route the ticket an event carries, if it carries one; never throws. */
export async function routeTicketEvent(event: EventView, normalized: NormalizedEvent, log: Logger): Promise<void> {
  const ticket = routableTicketOf(event, normalized);
  if (ticket === undefined) return;
  const deps = routingDeps();
  try {
    await routeTicket(deps, ticket, { source: 'webhook', eventId: event.id, log });
  } catch (error) {
    log.warn('routing a webhook ticket failed', { tenantId: event.tenantId, eventId: event.id, ...errorFields(error) });
    await recordRoutingError(deps, event.tenantId, {
      code: 'routing_failed',
      message: 'Routing this ticket failed unexpectedly; reassign it by hand or replay the event.',
      vendor: ticket.vendor,
      ticketId: ticket.ticketId,
      integrationId: ticket.integrationId,
      source: 'webhook',
      eventId: event.id,
    }).catch(() => undefined);
  }
}
