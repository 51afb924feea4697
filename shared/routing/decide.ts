import type { RoutableTicketInput, RoutingDocument, RoutingOutcome, Rule } from './api-schemas';

/**
 * The routing decision itself, pure: client link first, then the enabled rules in order (the first
 * whose every condition holds), then the default team (docs/routing.md, "Order"). A client link is
 * the MSP saying "this client belongs to that team", the most specific thing it can say, so it
 * beats any rule; the default is what is left.
 */

type Ticket = Pick<
  RoutableTicketInput,
  'vendor' | 'clientId' | 'category' | 'priority' | 'board' | 'subject' | 'summary'
>;

const fold = (value: string) => value.trim().toLocaleLowerCase('en');

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A keyword matches as a whole word or phrase: "vpn" matches "VPN down" but not "vpnclient";
 * whitespace inside a phrase matches any run of whitespace.
 */
export function containsKeyword(text: string, keyword: string): boolean {
  const words = fold(keyword).split(/\s+/).filter(Boolean).map(escapeRegExp);
  if (words.length === 0) return false;
  return new RegExp(`(?<![\\p{L}\\p{N}_])${words.join('\\s+')}(?![\\p{L}\\p{N}_])`, 'u').test(fold(text));
}

function oneOf(values: readonly string[] | undefined, actual: string | null): boolean {
  if (values === undefined) return true;
  if (actual === null || actual.trim() === '') return false;
  const a = fold(actual);
  return values.some((v) => fold(v) === a);
}

/** The conditions of `rule` the ticket fails (empty: it matches). */
export function missedConditions(rule: Rule, ticket: Ticket): string[] {
  const missed: string[] = [];
  const { when } = rule;
  if (!oneOf(when.categories, ticket.category)) missed.push('category');
  if (!oneOf(when.priorities, ticket.priority)) missed.push('priority');
  if (!oneOf(when.boards, ticket.board)) missed.push('board');
  if (when.keywords !== undefined) {
    const text = [ticket.subject, ticket.summary].filter((t): t is string => !!t).join('\n');
    if (!when.keywords.some((k) => containsKeyword(text, k))) missed.push('keywords');
  }
  return missed;
}

/** The link for this client: one naming the ticket's vendor wins over one for any vendor. */
function linkedTeam(config: RoutingDocument, ticket: Ticket): string | undefined {
  if (ticket.clientId === null) return undefined;
  const id = ticket.clientId.trim();
  const links = config.clientLinks.filter((l) => l.clientId === id);
  return (links.find((l) => l.vendor === ticket.vendor) ?? links.find((l) => l.vendor === undefined))?.teamId;
}

export function decideTeam(config: RoutingDocument, ticket: Ticket): RoutingOutcome {
  const teamName = (id: string) => config.teams.find((t) => t.id === id)?.name ?? null;
  const linked = linkedTeam(config, ticket);
  if (linked !== undefined) {
    return { teamId: linked, teamName: teamName(linked), by: 'client_link', ruleId: null, checked: [] };
  }
  const checked: RoutingOutcome['checked'] = [];
  for (const rule of config.rules) {
    if (!rule.enabled) {
      checked.push({ ruleId: rule.id, matched: false, missed: ['disabled'] });
      continue;
    }
    const missed = missedConditions(rule, ticket);
    checked.push({ ruleId: rule.id, matched: missed.length === 0, missed });
    if (missed.length === 0) {
      return { teamId: rule.teamId, teamName: teamName(rule.teamId), by: 'rule', ruleId: rule.id, checked };
    }
  }
  if (config.defaultTeamId !== null) {
    const id = config.defaultTeamId;
    return { teamId: id, teamName: teamName(id), by: 'default', ruleId: null, checked };
  }
  return { teamId: null, teamName: null, by: null, ruleId: null, checked };
}
