import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { installClock, ManualClock } from '../../shared/clock/index';
import { handleSyncPage } from '../../shared/sync/engine';
import { getSyncedRecord } from '../../shared/sync/record-list';
import { getSyncRun, startSync } from '../../shared/sync/runs';
import { M365_FAKE_CREDENTIALS, M365FakeServer, microsoft365Fake } from '../fakes/microsoft365';
import { installLocalSettings } from '../support/local-settings';
import { countSynced, createSyncIntegration, drainSync, syncBody, syncSetup } from '../support/sync-harness';

/**
 * The sync engine against the fake Graph over loopback and the suite's Azurite (docs/sync.md,
 * "Microsoft 365"): customer tenants (`delegatedAdminCustomers`) and the configured tenant's
 * users page by `@odata.nextLink`; a re-run and an incremental run only skip; a 429 waits for
 * Retry-After on the clock; the fake refuses a `$top` over 999 as Graph does.
 */

let graph: M365FakeServer;
let restoreClock: (() => void) | undefined;
const clock = new ManualClock(Date.UTC(2026, 5, 1));

const guid = (prefix: string, n: number) => `${prefix}0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function seed(customers: number, users: number): void {
  graph.customers = Array.from({ length: customers }, (_, i) => ({
    id: guid('a', i + 1),
    tenantId: guid('a', i + 1),
    displayName: `Customer ${i + 1}`,
  }));
  graph.users = Array.from({ length: users }, (_, i) => ({
    id: guid('b', i + 1),
    displayName: `User ${i + 1}`,
    userPrincipalName: `user${i + 1}@contoso-msp.onmicrosoft.com`,
    mail: `user${i + 1}@contoso.example`,
    accountEnabled: (i + 1) % 10 !== 0,
  }));
}

beforeAll(async () => {
  installLocalSettings();
  restoreClock = installClock(clock);
  graph = new M365FakeServer();
  await graph.start();
});

afterAll(async () => {
  restoreClock?.();
  await graph.stop();
});

const integration = (caller: Principal) =>
  createSyncIntegration(caller, 'microsoft365', { ...M365_FAKE_CREDENTIALS }, microsoft365Fake.config(graph.baseUrl));

describe('sync engine: Microsoft 365', () => {
  it('a full run pages customer tenants and users by nextLink; a re-run and an incremental run only skip', async () => {
    graph.reset();
    graph.customersPageSize = 40;
    seed(60, 70);
    const { caller, bus, deps } = syncSetup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, syncBody(['clients', 'contacts'], 'full', 50), {
      correlationId: 'm1',
    });
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    // customers: 2 Graph pages of 40; users: 2 pages of $top=50
    expect(done).toMatchObject({
      status: 'succeeded',
      pagesCommitted: 4,
      counts: { created: 130, updated: 0, skipped: 0, failed: 0 },
    });
    expect(await countSynced(deps, caller, integrationId, 'clients')).toBe(60);
    expect(await countSynced(deps, caller, integrationId, 'contacts')).toBe(70);
    expect((await getSyncedRecord(deps, caller, 'clients', integrationId, guid('a', 7))).fields).toMatchObject({
      displayName: 'Customer 7',
    });
    const users = graph.received('GET', '/v1.0/users');
    expect(users[0]?.query).toMatchObject({ $top: '50' });
    expect(users[0]?.query.$select).toContain('mail');
    expect(users[1]?.query).toMatchObject({ $top: '50', $skiptoken: '50' });
    expect(graph.refusals).toEqual([]);

    for (const mode of ['full', 'incremental'] as const) {
      const again = await startSync(deps, caller, integrationId, syncBody(['clients', 'contacts'], mode, 50), {
        correlationId: `m2-${mode}`,
      });
      await drainSync(deps, bus);
      expect((await getSyncRun(deps, caller, again.id)).counts).toEqual({
        created: 0,
        updated: 0,
        skipped: 130,
        failed: 0,
      });
    }
  });

  it('disabled users are left out unless asked for; a 429 waits for Retry-After; data-quality warnings', async () => {
    graph.reset();
    seed(0, 20);
    Object.assign(graph.users[2]!, { mail: null });
    graph.users[3] = { ...graph.users[3]!, displayName: 'Ren\uFFFDe' };
    const { caller, bus, deps } = syncSetup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, syncBody(['contacts'], 'full', 100, false), {
      correlationId: 'm3',
    });
    graph.injectFault(
      { kind: 'status', status: 429, headers: { 'Retry-After': '9' } },
      { path: '/v1.0/users', times: 1 },
    );
    await handleSyncPage(deps, bus.take()!);
    expect(bus.sent).toHaveLength(1);
    expect(bus.sent[0]?.options.scheduledEnqueueTimeUtc?.getTime()).toBe(clock.now() + 9000);
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    // 20 users, every tenth disabled.
    expect(done).toMatchObject({ status: 'succeeded', counts: { created: 18 } });
    expect(done.warnings).toEqual(
      expect.arrayContaining([
        { entity: 'contacts', kind: 'null_value', field: 'mail', count: 1, examples: [guid('b', 3)] },
        { entity: 'contacts', kind: 'encoding', field: 'displayName', count: 1, examples: [guid('b', 4)] },
      ]),
    );
  });

  it('Graph refuses $top over 999; a next link to another host fails the run instead of ending the list', async () => {
    graph.reset();
    seed(3, 0);
    const token = await fetch(`${graph.baseUrl}/contoso-msp.onmicrosoft.com/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: M365_FAKE_CREDENTIALS.clientId,
        client_secret: M365_FAKE_CREDENTIALS.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
        grant_type: 'client_credentials',
      }),
    }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
    const tooMany = await fetch(`${graph.baseUrl}/v1.0/users?$top=1000`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(tooMany.status).toBe(400);

    const { caller, bus, deps } = syncSetup();
    const integrationId = await integration(caller);
    const run = await startSync(deps, caller, integrationId, syncBody(['clients'], 'full'), { correlationId: 'm4' });
    graph.injectFault(
      {
        kind: 'status',
        status: 200,
        body: {
          value: [],
          '@odata.nextLink': 'https://elsewhere.example/v1.0/tenantRelationships/delegatedAdminCustomers?$skiptoken=1',
        },
      },
      { path: '/v1.0/tenantRelationships/delegatedAdminCustomers', times: 1 },
    );
    await drainSync(deps, bus);
    const done = await getSyncRun(deps, caller, run.id);
    expect(done.status).toBe('failed');
    expect(graph.requests.some((r) => r.path.includes('elsewhere'))).toBe(false);
  });
});
