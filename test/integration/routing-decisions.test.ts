import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { auditTable } from '../../shared/audit/audit-log';
import { routingAccuracy } from '../../shared/routing/accuracy';
import { type RoutableTicket, routableTicketSchema, routingConfigBody } from '../../shared/routing/api-schemas';
import {
  configView,
  linkClients,
  loadRoutingConfig,
  putRoutingConfig,
  type RoutingDeps,
} from '../../shared/routing/config';
import { getDecision, listDecisions, reassignTicket, routeTicket } from '../../shared/routing/decisions';
import { listRoutingErrors } from '../../shared/routing/routing-errors';
import { routingTables } from '../../shared/routing/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import fixture from '../fixtures/routing/labelled-tickets.json';

/**
 * Routing on Azurite (docs/routing.md): decisions persisted once per ticket, manual reassignment,
 * routing errors, the accuracy metric against the labelled fixture, and the config's ETag rules.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const deps: RoutingDeps = { tables: routingTables(account), audit: auditTable(account) };
const config = routingConfigBody.parse(fixture.config);

function tenant(): Principal {
  return { tenantId: `rt-${randomUUID()}`, keyId: 'key-1', scopes: ['admin'] };
}

const ticketOf = (tenantId: string, input: Record<string, unknown>): RoutableTicket => ({
  tenantId,
  ...routableTicketSchema.parse(input),
});

async function configured(): Promise<Principal> {
  const caller = tenant();
  await putRoutingConfig(deps, caller, config, '"0"', 'corr');
  return caller;
}

describe('routing decisions (Azurite)', () => {
  it('the accuracy metric matches the labelled fixture', async () => {
    const caller = await configured();
    for (const entry of fixture.tickets) {
      const result = await routeTicket(deps, ticketOf(caller.tenantId, entry.ticket), { source: 'sync' });
      expect(result.outcome).toBe('routed');
      if (result.outcome !== 'routed') continue;
      expect({ teamId: result.decision.teamId, by: result.decision.by, ruleId: result.decision.ruleId }).toEqual(
        entry.expected,
      );
      // The dispatcher's correction (or confirmation) of what routing chose.
      if (entry.correctTeam !== entry.expected.teamId || entry.confirmedByHand) {
        const target = { vendor: entry.ticket.vendor, ticketId: entry.ticket.ticketId };
        await reassignTicket(deps, caller, target, { teamId: entry.correctTeam }, 'corr');
      }
    }
    for (const manual of fixture.assignedOnlyByHand) {
      await reassignTicket(deps, caller, manual, { teamId: manual.teamId }, 'corr');
    }
    const accuracy = await routingAccuracy(deps, caller.tenantId, 30);
    expect({
      routed: accuracy.routed,
      overridden: accuracy.overridden,
      accuracy: accuracy.accuracy,
      byMethod: accuracy.byMethod,
    }).toEqual(fixture.accuracy);
  });

  it('a ticket is decided once: a later sync keeps the decision, and a manual team survives it', async () => {
    const caller = await configured();
    const t = ticketOf(caller.tenantId, { vendor: 'halopsa', ticketId: '42', subject: 'VPN down' });
    const first = await routeTicket(deps, t, { source: 'webhook', eventId: 'ev-1' });
    expect(first).toMatchObject({ outcome: 'routed', created: true, decision: { teamId: 'network', by: 'rule' } });

    const moved = await reassignTicket(
      deps,
      caller,
      { vendor: 'halopsa', ticketId: '42' },
      { teamId: 'security' },
      'c',
    );
    expect(moved).toMatchObject({
      teamId: 'security',
      by: 'manual',
      ruleId: null,
      overridden: true,
      reassignments: 1,
      routed: { teamId: 'network', by: 'rule', ruleId: 'network' },
    });

    const again = await routeTicket(deps, { ...t, subject: 'Phishing' }, { source: 'sync' });
    expect(again).toMatchObject({ outcome: 'routed', created: false, decision: { teamId: 'security', by: 'manual' } });
    // Moving it back to the routed team does not undo the override: someone judged routing wrong.
    const back = await reassignTicket(deps, caller, { vendor: 'halopsa', ticketId: '42' }, { teamId: 'network' }, 'c');
    expect(back).toMatchObject({ teamId: 'network', overridden: true, reassignments: 2 });
    expect(await getDecision(deps, caller.tenantId, 'halopsa', '42')).toEqual(back);
  });

  it('concurrent deliveries of one new ticket store one decision', async () => {
    const caller = await configured();
    const t = ticketOf(caller.tenantId, { vendor: 'autotask', ticketId: '7/8#9', subject: 'firewall' });
    const results = await Promise.all(Array.from({ length: 5 }, () => routeTicket(deps, t, { source: 'webhook' })));
    expect(results.filter((r) => r.outcome === 'routed' && r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => (r.outcome === 'routed' ? r.decision.decidedAt : '')))).toHaveLength(1);
  });

  // docs/decisions.md §81: this used to record a `no_team` routing error per ticket; a tenant that
  // never saved a routing config now gets nothing written at all.
  it('with no saved config a ticket is not routed (not configured) and nothing is written', async () => {
    const caller = tenant();
    const t = ticketOf(caller.tenantId, { vendor: 'autotask', ticketId: '1', subject: 'x' });
    expect(await routeTicket(deps, t, { source: 'sync' })).toEqual({ outcome: 'not_configured' });
    expect(await routeTicket(deps, { ...t, ticketId: '2' }, { source: 'webhook', eventId: 'ev-2' })).toEqual({
      outcome: 'not_configured',
    });
    expect((await listRoutingErrors(deps, caller.tenantId, { limit: 10 })).items).toEqual([]);
    expect((await listDecisions(deps, caller.tenantId, { limit: 10 })).items).toEqual([]);
    await expect(getDecision(deps, caller.tenantId, 'autotask', '1')).rejects.toMatchObject({ code: 'not_found' });
    expect(configView(await loadRoutingConfig(deps, caller.tenantId))).toMatchObject({ configured: false, version: 0 });
  });

  it('a ticket nothing decides is a routing error, listed newest first, and no decision is stored', async () => {
    const caller = tenant();
    const saved = await putRoutingConfig(deps, caller, { ...config, defaultTeamId: null }, '"0"', 'c');
    expect(saved).toMatchObject({ configured: true, version: 1 });
    const t = ticketOf(caller.tenantId, { vendor: 'autotask', ticketId: '1', subject: 'x' });
    const result = await routeTicket(deps, t, { source: 'sync' });
    expect(result).toMatchObject({
      outcome: 'unrouted',
      error: { code: 'no_team', vendor: 'autotask', ticketId: '1' },
    });
    await routeTicket(deps, { ...t, ticketId: '2' }, { source: 'webhook', eventId: 'ev-2' });
    const listed = await listRoutingErrors(deps, caller.tenantId, { limit: 10 });
    expect(listed.items.map((e) => [e.ticketId, e.code, e.source, e.eventId])).toEqual([
      ['2', 'no_team', 'webhook', 'ev-2'],
      ['1', 'no_team', 'sync', null],
    ]);
    await expect(getDecision(deps, caller.tenantId, 'autotask', '1')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reassigning to a team the config does not define is refused and changes nothing', async () => {
    const caller = await configured();
    await routeTicket(deps, ticketOf(caller.tenantId, { vendor: 'halopsa', ticketId: '5' }), { source: 'sync' });
    await expect(
      reassignTicket(deps, caller, { vendor: 'halopsa', ticketId: '5' }, { teamId: 'ghosts' }, 'c'),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect(await getDecision(deps, caller.tenantId, 'halopsa', '5')).toMatchObject({
      teamId: 'desktop',
      by: 'default',
    });
  });
});

describe('routing config (Azurite)', () => {
  it('PUT needs If-Match, refuses a stale version and bumps the version it saves', async () => {
    const caller = tenant();
    await expect(putRoutingConfig(deps, caller, config, null, 'c')).rejects.toMatchObject({
      code: 'precondition_required',
    });
    await expect(putRoutingConfig(deps, caller, config, '"1"', 'c')).rejects.toMatchObject({
      code: 'precondition_failed',
    });
    await expect(putRoutingConfig(deps, caller, config, '*', 'c')).rejects.toMatchObject({
      code: 'precondition_failed',
    });
    expect((await putRoutingConfig(deps, caller, config, '"0"', 'c')).version).toBe(1);
    await expect(putRoutingConfig(deps, caller, config, '"0"', 'c')).rejects.toMatchObject({
      code: 'precondition_failed',
      details: { currentVersion: 1 },
    });
    expect((await putRoutingConfig(deps, caller, config, '*', 'c')).version).toBe(2);
    expect((await loadRoutingConfig(deps, caller.tenantId)).version).toBe(2);
  });

  it('of two saves from the same version exactly one wins', async () => {
    const caller = await configured();
    const settled = await Promise.allSettled(
      ['a', 'b', 'c'].map((n) =>
        putRoutingConfig(deps, caller, { ...config, teams: [...config.teams, { id: n, name: n }] }, '"1"', 'c'),
      ),
    );
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    expect(settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason.code)).toEqual(
      ['precondition_failed', 'precondition_failed'],
    );
  });

  it('a document near the size cap is stored and read back whole (split over several properties)', async () => {
    const caller = tenant();
    const teams = Array.from({ length: 50 }, (_, i) => ({ id: `team-${i}`, name: `Team ${i} ${'n'.repeat(80)}` }));
    const clientLinks = Array.from({ length: 2000 }, (_, i) => ({
      clientId: `client-${String(i).padStart(6, '0')}-${'c'.repeat(30)}`,
      teamId: `team-${i % 50}`,
    }));
    const rules = Array.from({ length: 40 }, (_, i) => ({
      id: `rule-${i}`,
      name: `Rule ${i}`,
      enabled: true,
      teamId: `team-${i % 50}`,
      when: { keywords: Array.from({ length: 20 }, (_, k) => `keyword-${i}-${k}`) },
    }));
    const doc = { teams, clientLinks, rules, defaultTeamId: 'team-0' };
    expect(JSON.stringify(doc).length).toBeGreaterThan(100_000);
    await putRoutingConfig(deps, caller, doc, '"0"', 'c');
    const loaded = await loadRoutingConfig(deps, caller.tenantId);
    expect(loaded.document).toEqual(doc);
  });

  it('refuses a document over the encoded size cap with validation_failed and stores nothing', async () => {
    const caller = tenant();
    const teams = [{ id: 'a', name: 'A' }];
    const clientLinks = Array.from({ length: 2000 }, (_, i) => ({ clientId: `${i}-${'x'.repeat(55)}`, teamId: 'a' }));
    const rules = Array.from({ length: 100 }, (_, i) => ({
      id: `r${i}`,
      name: 'R'.repeat(100),
      teamId: 'a',
      when: { categories: Array.from({ length: 20 }, (_, k) => `${k}${'c'.repeat(90)}`), keywords: ['x'] },
    }));
    await expect(
      putRoutingConfig(deps, caller, { teams, clientLinks, rules, defaultTeamId: 'a' }, '"0"', 'c'),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect((await loadRoutingConfig(deps, caller.tenantId)).version).toBe(0);
  });

  it('bulk linking adds, moves and removes links in one version, and concurrent calls lose nothing', async () => {
    const caller = await configured();
    const first = await linkClients(
      deps,
      caller,
      {
        teamId: 'network',
        clients: [{ clientId: '200' }, { clientId: '900' }, { clientId: '901', vendor: 'autotask' }],
      },
      'c',
    );
    expect(first).toEqual({ linked: 2, moved: 1, unlinked: 0, unchanged: 0, version: 2 });
    const same = await linkClients(deps, caller, { teamId: 'network', clients: [{ clientId: '900' }] }, 'c');
    expect(same).toEqual({ linked: 0, moved: 0, unlinked: 0, unchanged: 1, version: 2 });
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        linkClients(deps, caller, { teamId: 'security', clients: [{ clientId: `c${i}` }] }, 'c'),
      ),
    );
    const removed = await linkClients(
      deps,
      caller,
      { teamId: null, clients: [{ clientId: '900' }, { clientId: 'x' }] },
      'c',
    );
    expect(removed).toMatchObject({ unlinked: 1, unchanged: 1, version: 7 });
    const { document } = await loadRoutingConfig(deps, caller.tenantId);
    expect(document.clientLinks.map((l) => `${l.vendor ?? '*'}:${l.clientId}=${l.teamId}`).sort()).toEqual([
      '*:200=network',
      '*:c0=security',
      '*:c1=security',
      '*:c2=security',
      '*:c3=security',
      'autotask:901=network',
      'halopsa:100=accounts',
    ]);
    await expect(
      linkClients(deps, caller, { teamId: 'ghosts', clients: [{ clientId: '1' }] }, 'c'),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
