import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { armCrashPoint, disarmCrashPoints, setCrashHandler } from '../../shared/faults/crash-points';
import { normalizePayload } from '../../shared/pipeline/validation/normalize';
import { putRoutingConfig } from '../../shared/routing/config';
import { listDecisions, reassignTicket } from '../../shared/routing/decisions';
import { routingDeps } from '../../shared/routing/deps';
import { listRoutingErrors } from '../../shared/routing/routing-errors';
import { routableTicketOf } from '../../shared/routing/ticket-events';
import type { StartSyncBody } from '../../shared/sync/api-schemas';
import { CRASH_AFTER_RECORDS, handleSyncPage } from '../../shared/sync/engine';
import { getSyncedTicket } from '../../shared/sync/record-list';
import { getSyncRun, startSync } from '../../shared/sync/runs';
import { routableAutotaskTicket, routableHaloTicket, severityWord } from '../../shared/sync/ticket-routing';
import { createHaloFake, HALO_FAKE_CREDENTIALS, type HaloFakeServer } from '../fakes/halopsa';
import { installLocalSettings } from '../support/local-settings';
import { createSyncIntegration, drainSync, syncSetup } from '../support/sync-harness';

/**
 * Synced tickets are routed once (docs/sync.md, "Routing synced tickets"): against the fake Halo
 * and the suite's Azurite, a sync of a few tickets whose clients are linked to a team, that match a
 * rule, or fall to the default; a re-sync keeps each decision (a manual one included), a page
 * replayed after a crash routes nothing twice, and a tenant without a routing config is left alone.
 */

class CrashForTest extends Error {}

let halo: HaloFakeServer;

beforeAll(async () => {
  installLocalSettings();
  halo = createHaloFake();
  await halo.start();
  setCrashHandler((name) => {
    throw new CrashForTest(name);
  });
});

afterAll(async () => {
  disarmCrashPoints();
  await halo.stop();
});

const haloIntegration = (caller: Principal) =>
  createSyncIntegration(caller, 'halopsa', { ...HALO_FAKE_CREDENTIALS }, { baseUrl: halo.baseUrl });

/** Halo client 13 is linked to `vip`; "VPN" in a subject is `network`; critical priority is `oncall`; the rest is `desk`. */
async function configureRouting(caller: Principal): Promise<void> {
  await putRoutingConfig(
    routingDeps(),
    caller,
    {
      teams: [
        { id: 'desk', name: 'Service desk' },
        { id: 'network', name: 'Network' },
        { id: 'oncall', name: 'On call' },
        { id: 'vip', name: 'VIP clients' },
      ],
      clientLinks: [{ clientId: '13', vendor: 'halopsa', teamId: 'vip' }],
      rules: [
        { id: 'vpn', name: 'VPN trouble', teamId: 'network', when: { keywords: ['VPN'] } },
        { id: 'critical', name: 'Critical tickets', teamId: 'oncall', when: { priorities: ['critical'] } },
      ],
      defaultTeamId: 'desk',
    },
    '"0"',
    'setup',
  );
}

/**
 * Tickets 1..6: the fake gives odd ids client 13 (linked) and even ids client 12; ticket 5 is
 * closed (every fifth). Ticket 2 mentions VPN, ticket 4 is critical, ticket 6 is plain.
 */
function seedTickets(): void {
  halo.listings.seed('tickets', 6);
  halo.listings.flaw('tickets', 2, { summary: 'VPN down at the branch office', client_name: 'Fabrikam' });
  halo.listings.flaw('tickets', 4, { summary: 'Server room alarm', priority_name: 'Critical' });
}

const tickets: StartSyncBody = {
  entities: ['tickets'],
  mode: 'full',
  batchSize: 100,
  filters: { ticketStatus: 'all', includeInactive: false },
  schedule: false,
  debug: false,
};

describe('sync: routing the tickets a sync creates', () => {
  it('routes each new ticket by client link, rule or default, once; a re-sync keeps every decision', async () => {
    seedTickets();
    const { caller, bus, deps } = syncSetup('sr');
    const integrationId = await haloIntegration(caller);
    await configureRouting(caller);

    const run = await startSync(deps, caller, integrationId, tickets, { correlationId: 'c1' });
    await drainSync(deps, bus);
    expect((await getSyncRun(deps, caller, run.id)).counts).toMatchObject({ created: 6 });

    const routing = async (id: string) => (await getSyncedTicket(deps, caller, integrationId, id)).routing;
    expect(await routing('1')).toMatchObject({ teamId: 'vip', by: 'client_link', ruleId: null });
    expect(await routing('5')).toMatchObject({ teamId: 'vip', by: 'client_link', ruleId: null });
    expect(await routing('2')).toMatchObject({ teamId: 'network', by: 'rule', ruleId: 'vpn' });
    expect(await routing('4')).toMatchObject({ teamId: 'oncall', by: 'rule', ruleId: 'critical' });
    expect(await routing('6')).toMatchObject({ teamId: 'desk', by: 'default', ruleId: null });
    const first = await listDecisions(routingDeps(), caller.tenantId, { limit: 50 });
    expect(first.items).toHaveLength(6);
    expect(first.items.every((d) => d.source === 'sync' && d.integrationId === integrationId)).toBe(true);

    // A dispatcher moves ticket 6; the vendor changes ticket 2 so that no rule would match it now.
    await reassignTicket(routingDeps(), caller, { vendor: 'halopsa', ticketId: '6' }, { teamId: 'network' }, 'c2');
    halo.listings.flaw('tickets', 2, { summary: 'Printer jam' });
    const again = await startSync(deps, caller, integrationId, tickets, { correlationId: 'c3' });
    await drainSync(deps, bus);
    expect((await getSyncRun(deps, caller, again.id)).counts).toMatchObject({ created: 0, updated: 1, skipped: 5 });
    expect(await routing('6')).toMatchObject({ teamId: 'network', by: 'manual' });
    expect(await routing('2')).toMatchObject({ teamId: 'network', by: 'rule', ruleId: 'vpn' });
    expect((await listDecisions(routingDeps(), caller.tenantId, { limit: 50 })).items).toHaveLength(6);
  });

  it('a page replayed after a crash between its records and its commit routes its tickets once', async () => {
    seedTickets();
    const { caller, bus, deps } = syncSetup('sr');
    const integrationId = await haloIntegration(caller);
    await configureRouting(caller);
    await startSync(deps, caller, integrationId, tickets, { correlationId: 'c4' });
    const first = bus.take();
    armCrashPoint(CRASH_AFTER_RECORDS);
    await expect(handleSyncPage(deps, first!)).rejects.toBeInstanceOf(CrashForTest);
    // Records are written, routing has not run: the replay routes them.
    expect((await listDecisions(routingDeps(), caller.tenantId, { limit: 50 })).items).toHaveLength(0);
    await handleSyncPage(deps, { ...first!, deliveryCount: 2 });
    await handleSyncPage(deps, { ...first!, deliveryCount: 3 });
    await drainSync(deps, bus);
    const decisions = (await listDecisions(routingDeps(), caller.tenantId, { limit: 50 })).items;
    expect(decisions.map((d) => d.ticketId).sort()).toEqual(['1', '2', '3', '4', '5', '6']);
    expect((await getSyncedTicket(deps, caller, integrationId, '2')).routing).toMatchObject({ teamId: 'network' });
  });

  it('a tenant without a routing config: tickets sync with no decision and no routing errors', async () => {
    seedTickets();
    const { caller, bus, deps } = syncSetup('sr');
    const integrationId = await haloIntegration(caller);
    await startSync(deps, caller, integrationId, tickets, { correlationId: 'c5' });
    await drainSync(deps, bus);
    expect((await getSyncedTicket(deps, caller, integrationId, '2')).routing).toBeNull();
    expect((await listDecisions(routingDeps(), caller.tenantId, { limit: 50 })).items).toHaveLength(0);
    expect((await listRoutingErrors(routingDeps(), caller.tenantId, { limit: 50 })).items).toHaveLength(0);
  });

  it('maps Halo ticket fields the way the Halo webhook does', () => {
    const ticket = routableHaloTicket('t', 'int-1', {
      vendorId: '77',
      updatedAt: undefined,
      fields: {
        id: 77,
        summary: ' Email bounced ',
        details: 'Mail to contoso.com bounces',
        client_id: 12,
        client_name: 'Contoso',
        category_1: 'Email',
        priority_name: 'P2 - High',
        team: 'Messaging',
      },
      index: {},
    });
    expect(ticket).toEqual({
      tenantId: 't',
      vendor: 'halopsa',
      ticketId: '77',
      integrationId: 'int-1',
      clientId: '12',
      clientName: 'Contoso',
      category: 'Email',
      priority: 'high',
      board: 'Messaging',
      subject: 'Email bounced',
      summary: 'Mail to contoso.com bounces',
    });
    expect(severityWord(null)).toBe('medium');
    expect(severityWord('Emergency')).toBe('critical');
  });

  it('maps Autotask ticket fields to the same routable ticket an Autotask ticket webhook gives', () => {
    const synced = routableAutotaskTicket('t', 'int-2', {
      vendorId: '9001',
      updatedAt: undefined,
      fields: {
        id: 9001,
        title: 'Printer offline',
        description: 'The 3rd floor printer is offline',
        companyID: 29683,
        issueType: 7,
        priority: 4,
        queueID: 29682833,
        status: 1,
      },
      index: {},
    });
    const webhook = routableTicketOf(
      { tenantId: 't', integrationId: 'int-2' },
      normalizePayload(
        'autotask',
        {
          Action: 'Create',
          EntityType: 'Ticket',
          Id: 9001,
          Fields: {
            Title: 'Printer offline',
            Description: 'The 3rd floor printer is offline',
            CompanyID: 29683,
            IssueType: 7,
            Priority: 4,
            QueueID: 29682833,
          },
        },
        '2026-12-07T00:00:00.000Z',
      ),
    );
    expect(synced).toEqual(webhook);
    expect(synced.priority).toBe('critical');
  });
});
