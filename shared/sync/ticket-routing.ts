import type { Logger } from '../observability/logger';
import type { RoutableTicket } from '../routing/api-schemas';
import { loadRoutingConfig, type RoutingDeps } from '../routing/config';
import { routeTicket } from '../routing/decisions';
import { AUTOTASK_PRIORITY_SEVERITY } from '../vendors/autotask/priorities';
import type { SyncedRecord } from './adapter';

/**
 * Synced tickets get a team (docs/sync.md, "Routing synced tickets"). A ticket row a sync page
 * creates is handed to team routing, which decides once and keeps the decision: a re-synced ticket
 * reads its decision back, so a manual reassignment is never undone by the next run. A page
 * replayed after a crash routes the same tickets again, and routing answers with the decision it
 * already made.
 */

/** Tickets routed at once within a page: each is a read and a write, so a page of 500 stays bounded. */
const ROUTING_CONCURRENCY = 8;

type Fields = Record<string, unknown>;

function text(fields: Fields, ...names: string[]): string | null {
  for (const name of names) {
    const value = fields[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return null;
}

const cap = (value: string | null, max: number) => (value === null ? null : value.slice(0, max));

/**
 * The hub's severity word for a Halo priority, the words the validation stage gives webhook
 * tickets (critical, high, medium, low, info), so one routing rule serves both paths.
 */
export function severityWord(priority: string | null): string {
  const value = (priority ?? '').toLowerCase();
  if (/crit|p1\b|emergency|sev(erity)?\s*1/.test(value)) return 'critical';
  if (/high|major|p2\b/.test(value)) return 'high';
  if (/medium|moderate|normal|p3\b/.test(value)) return 'medium';
  if (/low|minor|p4\b/.test(value)) return 'low';
  if (/info|informational|notice/.test(value)) return 'info';
  return 'medium';
}

/** A Halo ticket as team routing reads it: the same fields a Halo ticket webhook maps. */
export function routableHaloTicket(tenantId: string, integrationId: string, record: SyncedRecord): RoutableTicket {
  const f = record.fields;
  return {
    tenantId,
    vendor: 'halopsa',
    ticketId: record.vendorId.slice(0, 64),
    integrationId,
    clientId: cap(text(f, 'client_id'), 64),
    clientName: cap(text(f, 'client_name'), 200),
    category: cap(text(f, 'category_1', 'tickettype_name'), 200),
    priority: severityWord(text(f, 'priority_name', 'priority', 'priority_id')),
    board: cap(text(f, 'team', 'team_name'), 200),
    subject: cap(text(f, 'summary', 'symptom'), 500),
    summary: cap(text(f, 'details'), 4000),
  };
}

/**
 * An Autotask ticket as team routing reads it: the fields an Autotask ticket webhook maps
 * (company, issue type, queue, title, description), with the priority picklist as severity words.
 */
export function routableAutotaskTicket(tenantId: string, integrationId: string, record: SyncedRecord): RoutableTicket {
  const f = record.fields;
  return {
    tenantId,
    vendor: 'autotask',
    ticketId: record.vendorId.slice(0, 64),
    integrationId,
    clientId: cap(text(f, 'companyID'), 64),
    clientName: null,
    category: cap(text(f, 'issueType', 'ticketCategory'), 200),
    priority: AUTOTASK_PRIORITY_SEVERITY[text(f, 'priority') ?? ''] ?? 'medium',
    board: cap(text(f, 'queueID'), 200),
    subject: cap(text(f, 'title'), 500),
    summary: cap(text(f, 'description'), 4000),
  };
}

/** The PSAs whose synced tickets route, and how each becomes a routable ticket. */
const ROUTABLE: Readonly<Record<string, typeof routableHaloTicket>> = {
  halopsa: routableHaloTicket,
  autotask: routableAutotaskTicket,
};

export interface TicketRoutingContext {
  tenantId: string;
  integrationId: string;
  vendor: string;
  log: Logger;
}

/**
 * Routes the tickets a page created; returns how many it handed to routing. The tenant's config is
 * read once per page and handed to routeTicket, which then reads only each ticket's decision; a
 * tenant that has saved none is answered by that one read (routing not configured: nothing to do).
 * Storage failures throw, so the bus delivers the page again and the replay routes what is left.
 */
export async function routeCreatedTickets(
  deps: RoutingDeps,
  context: TicketRoutingContext,
  created: readonly SyncedRecord[],
): Promise<number> {
  const routable = ROUTABLE[context.vendor];
  if (created.length === 0 || routable === undefined) return 0;
  const config = await loadRoutingConfig(deps, context.tenantId);
  if (config.version === 0) return 0;
  const tickets = created.map((record) => routable(context.tenantId, context.integrationId, record));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < tickets.length; i = next++) {
      const ticket = tickets[i];
      if (ticket) await routeTicket(deps, ticket, { source: 'sync', log: context.log, config });
    }
  };
  await Promise.all(Array.from({ length: Math.min(ROUTING_CONCURRENCY, tickets.length) }, worker));
  return tickets.length;
}
