import { describe, expect, it } from 'vitest';
import { normalizePayload } from '../../shared/pipeline/validation/normalize';
import { routableTicketSchema, routingConfigBody } from '../../shared/routing/api-schemas';
import { parseIfMatch, referenceProblems } from '../../shared/routing/config';
import { containsKeyword, decideTeam } from '../../shared/routing/decide';
import { routableTicketOf } from '../../shared/routing/ticket-events';
import fixture from '../fixtures/routing/labelled-tickets.json';

/** The routing decision without storage: order, conditions, the config's own checks (docs/routing.md). */
const config = routingConfigBody.parse(fixture.config);
const ticket = (input: Record<string, unknown>) => routableTicketSchema.parse(input);

describe('routing order', () => {
  it('decides every labelled ticket as the fixture says: client link, then rules in order, then the default', () => {
    for (const entry of fixture.tickets) {
      const outcome = decideTeam(config, ticket(entry.ticket));
      expect({ teamId: outcome.teamId, by: outcome.by, ruleId: outcome.ruleId }, entry.ticket.ticketId).toEqual(
        entry.expected,
      );
    }
  });

  it('a client link wins over a rule that matches and over the default', () => {
    const t = ticket({ vendor: 'halopsa', ticketId: 'x', clientId: '100', subject: 'ransomware on the file server' });
    expect(decideTeam(config, t)).toMatchObject({ teamId: 'accounts', by: 'client_link', checked: [] });
  });

  it("a link naming the ticket's vendor beats one for any vendor; another vendor's link does not apply", () => {
    const both = routingConfigBody.parse({
      ...fixture.config,
      clientLinks: [
        { clientId: '7', teamId: 'servers' },
        { clientId: '7', vendor: 'autotask', teamId: 'network' },
      ],
    });
    expect(decideTeam(both, ticket({ vendor: 'autotask', ticketId: 'a', clientId: '7' })).teamId).toBe('network');
    expect(decideTeam(both, ticket({ vendor: 'halopsa', ticketId: 'b', clientId: '7' })).teamId).toBe('servers');
  });

  it('the first matching rule wins, a disabled rule never matches, and each rule tried is reported', () => {
    const outcome = decideTeam(config, ticket({ vendor: 'halopsa', ticketId: 'x', subject: 'VPN and malware' }));
    expect(outcome).toMatchObject({ teamId: 'security', by: 'rule', ruleId: 'security' });
    const laptop = decideTeam(config, ticket({ vendor: 'halopsa', ticketId: 'y', subject: 'laptop' }));
    expect(laptop.by).toBe('default');
    expect(laptop.checked.find((c) => c.ruleId === 'retired')).toEqual({
      ruleId: 'retired',
      matched: false,
      missed: ['disabled'],
    });
    expect(laptop.checked.find((c) => c.ruleId === 'servers-critical')?.missed).toEqual(['priority', 'board']);
  });

  it('without a default team an undecided ticket has no team', () => {
    const none = routingConfigBody.parse({ ...fixture.config, defaultTeamId: null });
    expect(decideTeam(none, ticket({ vendor: 'autotask', ticketId: 'z', subject: 'hello' }))).toMatchObject({
      teamId: null,
      by: null,
    });
  });

  it('keywords match whole words and phrases, case-insensitively, in subject or summary', () => {
    expect(containsKeyword('The VPN is down', 'vpn')).toBe(true);
    expect(containsKeyword('install vpnclient', 'vpn')).toBe(false);
    expect(containsKeyword('Disk  Full on SRV1', 'disk full')).toBe(true);
    expect(containsKeyword('c++ build broke', 'c++')).toBe(true);
    const t = ticket({ vendor: 'halopsa', ticketId: 's', subject: 'Help', summary: 'a firewall port' });
    expect(decideTeam(config, t).ruleId).toBe('network');
  });
});

describe('the config document', () => {
  it('names every reference to an undefined team and every duplicate id', () => {
    const doc = routingConfigBody.parse({
      teams: [
        { id: 'a', name: 'A' },
        { id: 'a', name: 'A again' },
      ],
      clientLinks: [
        { clientId: '1', teamId: 'ghost' },
        { clientId: '1', teamId: 'a' },
      ],
      rules: [{ id: 'r', name: 'R', teamId: 'nobody', when: { keywords: ['x'] } }],
      defaultTeamId: 'missing',
    });
    expect(referenceProblems(doc).map((p) => p.path)).toEqual([
      'teams.1.id',
      'rules.0.teamId',
      'clientLinks.0.teamId',
      'clientLinks.1',
      'defaultTeamId',
    ]);
  });

  it('refuses a rule without conditions, too many keywords and over-long keywords', () => {
    const base = { teams: [{ id: 'a', name: 'A' }], defaultTeamId: 'a' };
    const rule = (when: unknown) => ({ ...base, rules: [{ id: 'r', name: 'R', teamId: 'a', when }] });
    expect(routingConfigBody.safeParse(rule({})).success).toBe(false);
    expect(routingConfigBody.safeParse(rule({ keywords: Array.from({ length: 21 }, (_, i) => `k${i}`) })).success).toBe(
      false,
    );
    expect(routingConfigBody.safeParse(rule({ keywords: ['x'.repeat(41)] })).success).toBe(false);
    expect(routingConfigBody.safeParse(rule({ keywords: ['x'.repeat(40)] })).success).toBe(true);
    const rules = Array.from({ length: 101 }, (_, i) => ({
      id: `r${i}`,
      name: 'R',
      teamId: 'a',
      when: { keywords: ['x'] },
    }));
    expect(routingConfigBody.safeParse({ ...base, rules }).success).toBe(false);
  });

  it('reads If-Match as strong version tags or *', () => {
    expect(parseIfMatch(null)).toBeUndefined();
    expect(parseIfMatch('  ')).toBeUndefined();
    expect(parseIfMatch('*')).toEqual({ any: true, versions: [] });
    expect(parseIfMatch('"3", "4"')).toEqual({ any: false, versions: [3, 4] });
    expect(parseIfMatch('W/"3"')).toEqual({ any: false, versions: [] });
    expect(parseIfMatch('3')).toEqual({ any: false, versions: [] });
  });
});

describe('tickets from webhook events', () => {
  const at = '2025-01-01T00:00:00.000Z';
  const event = { tenantId: 't1', integrationId: 'int-1' };

  it('an Autotask ticket callback becomes a routable ticket (issue type, queue, description, severity)', () => {
    const normalized = normalizePayload(
      'autotask',
      {
        Action: 'Create',
        EntityType: 'Ticket',
        Id: 4711,
        Fields: {
          Title: 'Firewall blocks the VPN',
          Description: 'since this morning',
          CompanyID: 29683,
          Priority: 4,
          IssueType: 'Network',
          QueueID: 8,
        },
      },
      at,
    );
    expect(routableTicketOf(event, normalized)).toEqual({
      tenantId: 't1',
      vendor: 'autotask',
      ticketId: '4711',
      integrationId: 'int-1',
      clientId: '29683',
      clientName: null,
      category: 'Network',
      priority: 'critical',
      board: '8',
      subject: 'Firewall blocks the VPN',
      summary: 'since this morning',
    });
  });

  it('a Halo ticket webhook (nested ticket) becomes a routable ticket; a client event does not', () => {
    const normalized = normalizePayload(
      'halopsa',
      {
        event: 'New Ticket',
        ticket: {
          id: 88,
          summary: 'Phishing mail',
          details: 'user clicked',
          client_id: 12,
          client_name: 'Contoso',
          priority_name: 'High',
          category_1: 'Security',
          team: 'Service Desk',
        },
      },
      at,
    );
    expect(routableTicketOf(event, normalized)).toMatchObject({
      vendor: 'halopsa',
      ticketId: '88',
      clientId: '12',
      clientName: 'Contoso',
      category: 'Security',
      priority: 'high',
      board: 'Service Desk',
      subject: 'Phishing mail',
      summary: 'user clicked',
    });
    const client = normalizePayload('halopsa', { event: 'client updated', client: { id: 3 } }, at);
    expect(routableTicketOf(event, client)).toBeUndefined();
    const rmm = normalizePayload('datto-rmm', { alertUid: 'a', alertMessage: 'disk' }, at);
    expect(routableTicketOf(event, rmm)).toBeUndefined();
  });
});
