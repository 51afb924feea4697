import type { Principal } from '../apikeys/principal';
import { recordAudit } from '../audit/audit-log';
import { nowMs } from '../clock';
import { ResourceNotFoundError, ValidationError } from '../errors/domain-error';
import { errorFields, type Logger } from '../observability/logger';
import { recordEvent } from '../observability/telemetry';
import { EVENT_NAMES } from '../observability/telemetry-names';
import { AlreadyExistsError } from '../storage/errors';
import { escapeKey } from '../storage/keys';
import type { Stored } from '../storage/table-repository';
import type { DecisionView, RoutableTicket, RoutingErrorView } from './api-schemas';
import { type LoadedConfig, loadRoutingConfig, type RoutingConfigUnreadableError, type RoutingDeps } from './config';
import { decideTeam } from './decide';
import { recordRoutingError } from './routing-errors';
import type { DecisionRow } from './tables';

/**
 * A ticket's team, decided once and kept with the ticket (docs/routing.md, "Decisions"). The first
 * decision stands: a later sync or webhook of the same ticket reads it back instead of routing
 * again, so a person's reassignment is never undone by the next sync, and routing's own first
 * answer stays beside the current team for the accuracy metric.
 */

export type RouteSource = 'sync' | 'webhook';

export type RouteResult =
  | { outcome: 'routed'; decision: DecisionView; created: boolean }
  | { outcome: 'unrouted'; error: RoutingErrorView }
  /** The tenant has never saved a routing config: nothing is decided and nothing is written. */
  | { outcome: 'not_configured' };

export interface RouteOptions {
  source: RouteSource;
  eventId?: string | null;
  log?: Logger;
  /** The tenant's config when the caller already read it (a sync page routes many tickets with one read). */
  config?: LoadedConfig;
}

/** `vendor|ticketId`, each escaped, so no two tickets share a row whatever their ids hold. */
export function decisionKey(vendor: string, ticketId: string): string {
  return `${escapeKey(vendor)}|${escapeKey(ticketId)}`;
}

export function decisionView(row: DecisionRow): DecisionView {
  return {
    vendor: row.vendor,
    ticketId: row.ticketId,
    integrationId: row.integrationId,
    teamId: row.teamId,
    by: row.by,
    ruleId: row.ruleId,
    decidedAt: row.decidedAt,
    routed:
      row.routedTeamId !== undefined && row.routedBy !== undefined && row.routedAt !== undefined
        ? { teamId: row.routedTeamId, by: row.routedBy, ruleId: row.routedRuleId ?? null, at: row.routedAt }
        : null,
    overridden: row.overridden,
    reassignments: row.reassignments,
    source: row.source,
    subject: row.subject,
  };
}

function isUnreadable(error: unknown): error is RoutingConfigUnreadableError {
  return error instanceof Error && error.name === 'RoutingConfigUnreadableError';
}

/**
 * Route one ticket: client link → rules → default, persisted with what decided it. A ticket
 * nothing decides (no default team) is a routing error, recorded and listed, not an exception:
 * the sync or pipeline step that asked goes on. A tenant that has never saved a routing config
 * has not asked for routing: its tickets are "not configured", and nothing is written for them
 * (docs/routing.md, "Not configured"), so an unused feature costs no row per ticket.
 */
export async function routeTicket(
  deps: RoutingDeps,
  ticket: RoutableTicket,
  options: RouteOptions,
): Promise<RouteResult> {
  const { tenantId } = ticket;
  const key = decisionKey(ticket.vendor, ticket.ticketId);

  const failed = async (code: RoutingErrorView['code'], message: string): Promise<RouteResult> => {
    const error = await recordRoutingError(deps, tenantId, {
      code,
      message,
      vendor: ticket.vendor,
      ticketId: ticket.ticketId,
      integrationId: ticket.integrationId,
      source: options.source,
      eventId: options.eventId ?? null,
    });
    options.log?.warn('routing could not decide a team', { tenantId, vendor: ticket.vendor, code });
    return { outcome: 'unrouted', error };
  };

  // The decision first: most ticket events (updates, redeliveries) are of a ticket already decided,
  // and they cost this one read. A caller routing many tickets passes the config it read once.
  const existing = await deps.tables.decisions.get(tenantId, key);
  if (existing) return { outcome: 'routed', decision: decisionView(existing.value), created: false };

  let config: LoadedConfig | undefined = options.config;
  if (config === undefined) {
    try {
      config = await loadRoutingConfig(deps, tenantId);
    } catch (error) {
      if (!isUnreadable(error)) throw error;
      options.log?.error('the stored routing config is unreadable', { tenantId, ...errorFields(error) });
      return failed(
        'config_unreadable',
        'The saved routing config could not be read; save it again with PUT /api/v1/routing.',
      );
    }
  }
  // No decision can exist without a config either: a reassignment needs a team the config defines.
  if (config.version === 0) return { outcome: 'not_configured' };
  const outcome = decideTeam(config.document, ticket);
  if (outcome.teamId === null || outcome.by === null) {
    return failed('no_team', 'No client link or rule matched and the routing config has no default team.');
  }
  const at = new Date(nowMs()).toISOString();
  const row: DecisionRow = {
    vendor: ticket.vendor,
    ticketId: ticket.ticketId,
    integrationId: ticket.integrationId,
    teamId: outcome.teamId,
    by: outcome.by,
    ruleId: outcome.ruleId,
    decidedAt: at,
    routedTeamId: outcome.teamId,
    routedBy: outcome.by,
    routedRuleId: outcome.ruleId,
    routedAt: at,
    overridden: false,
    reassignments: 0,
    source: options.source,
    subject: ticket.subject === null ? null : ticket.subject.slice(0, 200),
  };
  try {
    await deps.tables.decisions.insert(tenantId, key, row);
  } catch (error) {
    // A concurrent delivery of the same ticket decided first; its decision is the ticket's.
    if (!(error instanceof AlreadyExistsError)) throw error;
    const winner = await deps.tables.decisions.get(tenantId, key);
    if (!winner) throw error;
    return { outcome: 'routed', decision: decisionView(winner.value), created: false };
  }
  recordEvent(EVENT_NAMES.ticketRouted, {
    tenantId,
    vendor: ticket.vendor,
    teamId: outcome.teamId,
    routedBy: outcome.by,
    ruleId: outcome.ruleId ?? undefined,
  });
  options.log?.info('ticket routed', { tenantId, vendor: ticket.vendor, teamId: outcome.teamId, by: outcome.by });
  return { outcome: 'routed', decision: decisionView(row), created: true };
}

export async function getDecision(deps: RoutingDeps, tenantId: string, vendor: string, ticketId: string) {
  const stored = await deps.tables.decisions.get(tenantId, decisionKey(vendor, ticketId));
  if (!stored) throw new ResourceNotFoundError('routing decision', `${vendor}/${ticketId}`);
  return decisionView(stored.value);
}

export async function listDecisions(
  deps: RoutingDeps,
  tenantId: string,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ items: DecisionView[]; nextCursor: string | null }> {
  const page = await deps.tables.decisions.list(tenantId, { limit: options.limit, cursor: options.cursor ?? null });
  return { items: page.items.map((s: Stored<DecisionRow>) => decisionView(s.value)), nextCursor: page.nextCursor };
}

/**
 * A person gives the ticket a team. Recorded on the decision (`by: manual`) with routing's own
 * answer kept beside it; moving it to a team other than the routed one marks the decision
 * overridden for good, which is what the accuracy metric counts. A ticket routing never decided
 * (say, a routing error) gets its first decision this way and does not count toward accuracy.
 */
export async function reassignTicket(
  deps: RoutingDeps,
  caller: Principal,
  target: { vendor: string; ticketId: string },
  input: { teamId: string; note?: string | undefined },
  correlationId: string,
): Promise<DecisionView> {
  const { document } = await loadRoutingConfig(deps, caller.tenantId);
  if (!document.teams.some((t) => t.id === input.teamId)) {
    throw new ValidationError('The team is not defined in the routing config.', [
      { path: 'teamId', message: `no team with id "${input.teamId}" in GET /api/v1/routing` },
    ]);
  }
  const at = new Date(nowMs()).toISOString();
  let fromTeamId = '';
  const stored = await deps.tables.decisions.update(
    caller.tenantId,
    decisionKey(target.vendor, target.ticketId),
    (current): DecisionRow => {
      fromTeamId = current?.teamId ?? '';
      if (!current) {
        return {
          vendor: target.vendor,
          ticketId: target.ticketId,
          integrationId: null,
          teamId: input.teamId,
          by: 'manual',
          ruleId: null,
          decidedAt: at,
          overridden: false,
          reassignments: 1,
          source: 'manual',
          subject: null,
        };
      }
      const movedAway = current.routedTeamId !== undefined && input.teamId !== current.routedTeamId;
      return {
        ...current,
        teamId: input.teamId,
        by: 'manual',
        ruleId: null,
        decidedAt: at,
        overridden: current.overridden || movedAway,
        reassignments: current.reassignments + 1,
      };
    },
  );
  if (!stored) throw new Error('reassignTicket: the update wrote nothing');
  await recordAudit(deps.audit, caller.tenantId, {
    action: 'routing.ticket_reassigned',
    actorKeyId: caller.keyId,
    targetType: 'ticket',
    targetId: `${target.vendor}/${target.ticketId}`,
    correlationId,
    details: {
      fromTeamId,
      toTeamId: input.teamId,
      ...(input.note ? { note: input.note } : {}),
    },
  });
  recordEvent(EVENT_NAMES.ticketReassigned, {
    tenantId: caller.tenantId,
    vendor: target.vendor,
    teamId: input.teamId,
    routedBy: 'manual',
  });
  return decisionView(stored.value);
}
