import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { services } from '../../shared/app/services';
import { inboundTables } from '../../shared/inbound/tables';
import { pushWebhook, unpushWebhook } from '../../shared/inbound/vendor-push';
import type { ReconcileWebhookDeps } from '../../shared/inbound/vendor-reconcile';
import { createWebhook, getWebhook, type WebhookDeps } from '../../shared/inbound/webhooks';
import { integrationDeps } from '../../shared/integrations/deps';
import { integrationSummaries } from '../../shared/integrations/directory';
import { createIntegration, getIntegration, openIntegrationSession } from '../../shared/integrations/integrations';
import { integrationStatusReport } from '../../shared/probes/status';
import { probeTables } from '../../shared/probes/tables';
import { applyReconcile, type ReconcileDeps, reconcileIntegration } from '../../shared/reconcile/reconcile';
import { reconcileTables } from '../../shared/reconcile/tables';
import { lastReconcileRuns, runWeeklyReconcile } from '../../shared/reconcile/weekly';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import type { FakeVendorServer } from '../fakes/core/fake-server';
import { createHaloFake, HALO_FAKE_CREDENTIALS } from '../fakes/halopsa';
import { gdapRelationship, M365_FAKE_CREDENTIALS, M365_FAKE_TENANT, M365FakeServer } from '../fakes/microsoft365';
import { installLocalSettings } from '../support/local-settings';

/**
 * Reconcile against the fake vendors over loopback (docs/reconcile.md): each fake is seeded with one
 * resource of each class — one the hub pushed and left alone, one the hub pushed that the vendor
 * lost, one the hub pushed that was changed at the vendor, one the hub never made — and the diff
 * must report exactly those classes. Apply without `confirm` changes nothing; with it, it repairs
 * only what the hub created, and never sends a DELETE for anything else.
 */
let receiver: Server;
let receiverUrl = '';
const fakes: FakeVendorServer[] = [];

beforeAll(async () => {
  installLocalSettings();
  // Answers Graph's validation handshake the way the receive path does (echo the token as text).
  receiver = createServer((req, res) => {
    const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('validationToken');
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(token ?? ''));
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', () => ok()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(() => {
  receiver?.close();
});

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function started<F extends FakeVendorServer>(fake: F): Promise<F> {
  fakes.push(fake);
  await fake.start();
  return fake;
}

function setup(caller: Principal) {
  const webhooks: ReconcileWebhookDeps = {
    tables: inboundTables(services().account),
    tenantWebhooks: inboundTables(services().account).tenantWebhooks,
    audit: services().audit,
    publicBaseUrl: receiverUrl,
    openSession: (tenantId, integrationId, correlationId) =>
      openIntegrationSession(integrationDeps(), tenantId, integrationId, correlationId),
  };
  const hooks: WebhookDeps = {
    tables: inboundTables(services().account),
    audit: services().audit,
    publicBaseUrl: receiverUrl,
    integrationVendor: async (c, id) => (await getIntegration(integrationDeps(), c, id)).vendor,
    beforeDelete: (record, id, correlationId) => unpushWebhook(webhooks, record, id, correlationId),
  };
  const deps: ReconcileDeps = {
    webhooks,
    integration: (c, id) => getIntegration(integrationDeps(), c, id),
    integrations: async function* (c) {
      for await (const s of integrationSummaries(integrationDeps(), c.tenantId)) {
        yield await getIntegration(integrationDeps(), c, s.id);
      }
    },
    openSession: webhooks.openSession,
  };
  return { webhooks, hooks, deps, caller };
}

const newCaller = (): Principal => ({ tenantId: `tn-${randomUUID().slice(0, 8)}`, keyId: 'key1', scopes: ['admin'] });

const classes = (items: { class: string; webhookId?: string | undefined; vendorId: string }[]) =>
  Object.fromEntries(items.map((i) => [i.webhookId ?? i.vendorId, i.class]));

describe('reconcile with the vendor', () => {
  it('Autotask: one ticket webhook of each class is reported as exactly that class; apply repairs only the hub’s', async () => {
    const autotask = await started(new AutotaskFake());
    const caller = newCaller();
    const t = setup(caller);
    const integration = await createIntegration(
      integrationDeps(),
      caller,
      {
        vendor: 'autotask',
        name: 'Autotask',
        credentials: FAKE_AUTOTASK_CREDENTIALS,
        config: { baseUrl: autotask.baseUrl },
      },
      { skipTest: true, correlationId: 'setup' },
    );
    const pushed = [];
    for (let i = 0; i < 3; i++) {
      const hook = await createWebhook(t.hooks, caller, { integrationId: integration.id }, 'corr');
      const registration = await pushWebhook(t.webhooks, caller, hook.id, { fieldIds: [11] }, 'corr');
      pushed.push({ hook, vendorId: registration.vendorId });
    }
    const [ok, lost, changed] = pushed as [(typeof pushed)[0], (typeof pushed)[0], (typeof pushed)[0]];
    autotask.ticketWebhooks.delete(Number(lost.vendorId));
    autotask.ticketWebhooks.get(Number(changed.vendorId))!.webhookUrl = 'https://elsewhere.example/hook';
    autotask.ticketWebhooks.set(9999, {
      name: 'Made by hand in Autotask',
      webhookUrl: 'https://someone-else.example/hook',
      deactivationUrl: '',
      secretKey: 'not-ours',
      updates: false,
      fieldIds: [1],
      isActive: true,
    });

    const report = await reconcileIntegration(t.deps, caller, integration.id, 'corr');
    expect(classes(report.items)).toEqual({
      [ok.hook.id]: 'ours_ok',
      [lost.hook.id]: 'missing_at_vendor',
      [changed.hook.id]: 'drifted',
      '9999': 'unknown_to_us',
    });
    expect(report.summary).toEqual({ ours_ok: 1, missing_at_vendor: 1, drifted: 1, unknown_to_us: 1 });
    expect(report.items.find((i) => i.webhookId === changed.hook.id)?.differences).toEqual([
      {
        field: 'webhookUrl',
        expected: `${receiverUrl}/api/hooks/${changed.hook.id}`,
        actual: 'https://elsewhere.example/hook',
      },
    ]);
    const unknown = report.items.find((i) => i.class === 'unknown_to_us')!;
    expect(unknown.createdByHub).toBe(false);

    // Without confirm: a plan, and nothing but the listing reaches the vendor.
    autotask.reset();
    const actions = [
      { item: unknown.item, action: 'remove' as const },
      {
        item: report.items.find((i) => i.webhookId === lost.hook.id)!.item,
        action: 'recreate' as const,
        fieldIds: [11],
      },
      { item: report.items.find((i) => i.webhookId === changed.hook.id)!.item, action: 'remove' as const },
    ];
    const plan = await applyReconcile(t.deps, caller, integration.id, { actions }, 'corr');
    expect(plan.confirmed).toBe(false);
    expect(plan.results.map((r) => [r.outcome, r.reason])).toEqual([
      ['refused', 'not_created_by_hub'],
      ['would_do', undefined],
      ['would_do', undefined],
    ]);
    expect(autotask.requests.filter((r) => !/TicketWebhooks\/query$/i.test(r.path)).map((r) => r.path)).toEqual([]);
    expect((await getWebhook(t.hooks, caller, lost.hook.id)).vendorRegistration?.vendorId).toBe(lost.vendorId);

    // With confirm: the lost one is pushed again, the changed one removed; the stranger is untouched.
    autotask.reset();
    const done = await applyReconcile(t.deps, caller, integration.id, { confirm: true, actions }, 'corr');
    expect(done.results.map((r) => [r.outcome, r.reason])).toEqual([
      ['refused', 'not_created_by_hub'],
      ['done', undefined],
      ['done', undefined],
    ]);
    expect(autotask.ticketWebhooks.has(9999)).toBe(true);
    expect(autotask.received('DELETE', /TicketWebhooks\/9999$/)).toEqual([]);
    expect(autotask.received('DELETE', /TicketWebhooks\//).map((r) => r.path.split('/').pop())).toEqual([
      changed.vendorId,
    ]);
    const repushed = (await getWebhook(t.hooks, caller, lost.hook.id)).vendorRegistration;
    expect(repushed?.vendorId).not.toBe(lost.vendorId);
    expect(autotask.ticketWebhooks.get(Number(repushed?.vendorId))?.webhookUrl).toBe(
      `${receiverUrl}/api/hooks/${lost.hook.id}`,
    );
    expect((await getWebhook(t.hooks, caller, changed.hook.id)).vendorRegistration).toBeNull();

    const after = await reconcileIntegration(t.deps, caller, integration.id, 'corr');
    expect(after.summary).toEqual({ ours_ok: 2, missing_at_vendor: 0, drifted: 0, unknown_to_us: 1 });
  });

  it('Halo: one webhook of each class; even a confirmed remove of a webhook the hub did not make sends no DELETE', async () => {
    const halo = await started(createHaloFake());
    const caller = newCaller();
    const t = setup(caller);
    const integration = await createIntegration(
      integrationDeps(),
      caller,
      { vendor: 'halopsa', name: 'Halo', credentials: { ...HALO_FAKE_CREDENTIALS }, config: { baseUrl: halo.baseUrl } },
      { skipTest: true, correlationId: 'setup' },
    );
    const ids: { hook: string; vendorId: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const hook = await createWebhook(t.hooks, caller, { integrationId: integration.id }, 'corr');
      const registration = await pushWebhook(t.webhooks, caller, hook.id, {}, 'corr');
      ids.push({ hook: hook.id, vendorId: registration.vendorId });
    }
    halo.webhooks.delete(ids[1]!.vendorId);
    halo.webhooks.get(ids[2]!.vendorId)!.active = false;
    const stranger = randomUUID();
    halo.webhooks.set(stranger, {
      id: stranger,
      name: 'Zapier',
      url: 'https://hooks.zapier.example/1',
      authentication_type: 0,
      method: 1,
      basic_username: null,
      basic_password: null,
      active: true,
    });

    const report = await reconcileIntegration(t.deps, caller, integration.id, 'corr');
    expect(classes(report.items)).toEqual({
      [ids[0]!.hook]: 'ours_ok',
      [ids[1]!.hook]: 'missing_at_vendor',
      [ids[2]!.hook]: 'drifted',
      [stranger]: 'unknown_to_us',
    });
    expect(report.items.find((i) => i.webhookId === ids[2]!.hook)?.differences).toEqual([
      { field: 'active', expected: true, actual: false },
    ]);

    halo.reset();
    const result = await applyReconcile(
      t.deps,
      caller,
      integration.id,
      { confirm: true, actions: [{ item: `halopsa.webhook:${stranger}`, action: 'remove' }] },
      'corr',
    );
    expect(result.results[0]).toMatchObject({ outcome: 'refused', reason: 'not_created_by_hub' });
    expect(halo.received('DELETE', /\/api\/Webhook\//)).toEqual([]);
    expect(halo.webhooks.has(stranger)).toBe(true);
  });

  it('Microsoft 365: subscriptions and GDAP relationships, one of each class', async () => {
    const graph = await started(new M365FakeServer());
    const caller = newCaller();
    const t = setup(caller);
    const m365 = (name: string, tenantId: string, checkGdap: boolean) =>
      createIntegration(
        integrationDeps(),
        caller,
        {
          vendor: 'microsoft365',
          name,
          credentials: { ...M365_FAKE_CREDENTIALS },
          config: { tenantId, baseUrl: graph.baseUrl, checkGdap },
        },
        { skipTest: true, correlationId: 'setup' },
      );
    const partner = await m365('Partner', M365_FAKE_TENANT, true);
    const [active, ended, gone, stranger] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const customers = {
      [(await m365('Customer active', active, false)).id]: 'active',
      [(await m365('Customer ended', ended, false)).id]: 'ended',
      [(await m365('Customer gone', gone, false)).id]: 'gone',
    };
    graph.relationships = [
      gdapRelationship({ endDateTime: '2099-01-01T00:00:00Z', customer: { tenantId: active, displayName: 'Active' } }),
      gdapRelationship({
        endDateTime: '2020-01-01T00:00:00Z',
        status: 'terminated',
        customer: { tenantId: ended, displayName: 'Ended' },
      }),
      gdapRelationship({
        endDateTime: '2099-01-01T00:00:00Z',
        customer: { tenantId: stranger, displayName: 'Stranger' },
      }),
    ];

    const subs: { hook: string; vendorId: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const hook = await createWebhook(t.hooks, caller, { integrationId: partner.id }, 'corr');
      const registration = await pushWebhook(t.webhooks, caller, hook.id, {}, 'corr');
      subs.push({ hook: hook.id, vendorId: registration.vendorId });
    }
    graph.subscriptions.delete(subs[1]!.vendorId);
    graph.subscriptions.get(subs[2]!.vendorId)!.resource = 'groups';
    graph.subscriptions.set('sub-not-ours', {
      resource: 'me/messages',
      changeType: 'created',
      notificationUrl: 'https://other-app.example/notify',
      clientState: 'x',
      expirationDateTime: '2099-01-01T00:00:00.000Z',
    });

    const report = await reconcileIntegration(t.deps, caller, partner.id, 'corr');
    const byKind = (kind: string) => classes(report.items.filter((i) => i.kind === kind));
    expect(byKind('microsoft365.subscription')).toEqual({
      [subs[0]!.hook]: 'ours_ok',
      [subs[1]!.hook]: 'missing_at_vendor',
      [subs[2]!.hook]: 'drifted',
      'sub-not-ours': 'unknown_to_us',
    });
    const gdap = report.items.filter((i) => i.kind === 'microsoft365.gdapRelationship');
    expect(
      Object.fromEntries(
        gdap.map((i) => [i.integrationId === undefined ? i.label : customers[i.integrationId], i.class]),
      ),
    ).toEqual({
      active: 'ours_ok',
      ended: 'drifted',
      gone: 'missing_at_vendor',
      'Contoso helpdesk (Stranger)': 'unknown_to_us',
    });
    expect(gdap.find((i) => i.class === 'drifted')?.differences).toEqual([
      { field: 'status', expected: 'active', actual: 'terminated' },
    ]);
    expect(gdap.every((i) => !i.createdByHub)).toBe(true);
    expect(report.summary).toEqual({ ours_ok: 2, missing_at_vendor: 2, drifted: 2, unknown_to_us: 2 });

    // GDAP is the customer's grant: no action on it reaches Graph, confirmed or not.
    graph.reset();
    const result = await applyReconcile(
      t.deps,
      caller,
      partner.id,
      {
        confirm: true,
        actions: [
          ...gdap.map((i) => ({ item: i.item, action: 'remove' as const })),
          { item: 'microsoft365.subscription:sub-not-ours', action: 'remove' as const },
        ],
      },
      'corr',
    );
    expect(result.results.every((r) => r.outcome === 'refused' && r.reason === 'not_created_by_hub')).toBe(true);
    expect(graph.requests.filter((r) => r.method !== 'GET' && !r.path.includes('oauth2'))).toEqual([]);
    expect(graph.subscriptions.has('sub-not-ours')).toBe(true);
  });

  it('the weekly run keeps the diff on the integration’s status and counts a drifting integration once', async () => {
    const halo = await started(createHaloFake());
    const caller = newCaller();
    const t = setup(caller);
    const integration = await createIntegration(
      integrationDeps(),
      caller,
      { vendor: 'halopsa', name: 'Halo', credentials: { ...HALO_FAKE_CREDENTIALS }, config: { baseUrl: halo.baseUrl } },
      { skipTest: true, correlationId: 'setup' },
    );
    const hook = await createWebhook(t.hooks, caller, { integrationId: integration.id }, 'corr');
    const registration = await pushWebhook(t.webhooks, caller, hook.id, {}, 'corr');
    halo.webhooks.delete(registration.vendorId);
    const drifts: string[] = [];
    halo.reset();
    const result = await runWeeklyReconcile({
      reconcile: t.deps,
      tables: reconcileTables(services().account),
      everyIntegration: async function* () {
        yield { tenantId: caller.tenantId, integrationId: integration.id, vendor: 'halopsa' };
        // A vendor with nothing to reconcile is passed over, not failed.
        yield { tenantId: caller.tenantId, integrationId: 'unused', vendor: 'pax8' };
      },
      countDrift: async (tenantId, integrationId) => {
        drifts.push(`${tenantId}/${integrationId}`);
      },
    });
    expect(result).toEqual({ checked: 1, drifting: 1, failed: 0 });
    expect(drifts).toEqual([`${caller.tenantId}/${integration.id}`]);
    // Read-only: the vendor saw the listing and nothing else.
    expect(halo.requests.filter((r) => r.method !== 'GET' && !r.path.includes('/auth/token'))).toEqual([]);

    const report = await integrationStatusReport(
      {
        health: probeTables(services().account),
        integrations: integrationDeps(),
        bus: { send: async () => undefined },
        reconcileRuns: (tenantId) => lastReconcileRuns(reconcileTables(services().account), tenantId),
      },
      caller.tenantId,
    );
    expect(report.items.find((i) => i.integrationId === integration.id)?.reconcile).toMatchObject({
      missingAtVendor: 1,
      drifted: 0,
      unknownToUs: 0,
      error: null,
    });
  });
});
