import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { services } from '../../shared/app/services';
import type { BusSender } from '../../shared/bus/port';
import { installClock, ManualClock } from '../../shared/clock';
import { isDomainError } from '../../shared/errors/domain-error';
import { loadEvent } from '../../shared/events/event-store';
import { type ReceiveDeps, receiveWebhook } from '../../shared/inbound/receive';
import { inboundTables } from '../../shared/inbound/tables';
import {
  GRAPH_RENEW_BEFORE_MS,
  GRAPH_SUBSCRIPTION_LIFETIME_MS,
  type PushDeps,
  pushWebhook,
  recordVendorDeactivation,
  renewVendorRegistrations,
  unpushWebhook,
} from '../../shared/inbound/vendor-push';
import { createWebhook, deleteWebhook, getWebhook, type WebhookDeps } from '../../shared/inbound/webhooks';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration, getIntegration, openIntegrationSession } from '../../shared/integrations/integrations';
import { createLogger } from '../../shared/observability/logger';
import { statusDeps } from '../../shared/probes/deps';
import { integrationStatusReport } from '../../shared/probes/status';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import { checkValue, loadSlice } from '../fakes/core/spec-check';
import { createHaloFake, HALO_FAKE_CREDENTIALS } from '../fakes/halopsa';
import { M365_FAKE_CREDENTIALS, M365_FAKE_TENANT, M365FakeServer } from '../fakes/microsoft365';
import { installLocalSettings } from '../support/local-settings';

/**
 * Pushing webhook registrations to vendors (docs/design.md §6.1) against the fake vendors over loopback:
 * Autotask TicketWebhooks (+ fields), Halo webhooks and Graph subscriptions — whose fake performs
 * the validation handshake against our receive URL, served here by the real receive function —
 * recorded as ours, removed at the vendor on delete, and Graph renewal on the clock.
 */
const autotask = new AutotaskFake();
const halo = createHaloFake();
const graph = new M365FakeServer();
let receiver: Server;
let receiverUrl = '';
const accepted: string[] = [];

const bus: BusSender = {
  send: async (_queue, body) => {
    accepted.push(String((body as { eventId: string }).eventId));
  },
};
const receiveDeps = (): ReceiveDeps => ({
  webhooks: inboundTables(services().account).webhooks,
  renewals: inboundTables(services().account).renewals,
  bus: () => bus,
  tenantIsActive: async () => true,
  integrationIsLive: async () => true,
  maxBodyBytes: 1024 * 1024,
  toleranceSeconds: 300,
});

beforeAll(async () => {
  installLocalSettings();
  await Promise.all([autotask.start(), halo.start(), graph.start()]);
  // Our receive URL, served by the receive function itself, so the Graph handshake is the real one.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const deactivation = /^\/api\/hooks\/([^/]+)\/deactivated\/([^/]+)$/.exec(url.pathname);
      if (deactivation) {
        const deps = { tables: inboundTables(services().account), audit: services().audit };
        recordVendorDeactivation(deps, deactivation[1]!, deactivation[2]!, randomUUID()).then(
          () => res.writeHead(200).end(),
          () => res.writeHead(404).end(),
        );
        return;
      }
      const webhookId = url.pathname.split('/').pop() ?? '';
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const body = Buffer.concat(chunks);
      receiveWebhook(receiveDeps(), {
        webhookId,
        headers,
        query: url.searchParams,
        body,
        declaredLength: body.length,
        correlationId: randomUUID(),
        log: createLogger(),
      }).then(
        (result) => {
          if ('text' in result)
            res.writeHead(result.status, { 'content-type': 'text/plain; charset=utf-8' }).end(result.text);
          else res.writeHead(result.status, { 'content-type': 'application/json' }).end(JSON.stringify(result.body));
        },
        (error: unknown) => res.writeHead(isDomainError(error) ? 401 : 500).end(String(error)),
      );
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', () => ok()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  receiver?.close();
  await Promise.all([autotask.stop(), halo.stop(), graph.stop()]);
});

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
  autotask.clearFaults();
});

async function tenant(vendor: 'autotask' | 'halopsa' | 'microsoft365') {
  const caller: Principal = { tenantId: `tn-${randomUUID().slice(0, 8)}`, keyId: 'key1', scopes: ['admin'] };
  const integration = await createIntegration(
    integrationDeps(),
    caller,
    vendor === 'autotask'
      ? { vendor, name: 'Autotask', credentials: FAKE_AUTOTASK_CREDENTIALS, config: { baseUrl: autotask.baseUrl } }
      : vendor === 'halopsa'
        ? { vendor, name: 'Halo', credentials: { ...HALO_FAKE_CREDENTIALS }, config: { baseUrl: halo.baseUrl } }
        : {
            vendor,
            name: 'M365',
            credentials: { ...M365_FAKE_CREDENTIALS },
            config: { tenantId: M365_FAKE_TENANT, baseUrl: graph.baseUrl, checkGdap: false },
          },
    { skipTest: true, correlationId: 'setup' },
  );
  const push: PushDeps = {
    tables: inboundTables(services().account),
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
    beforeDelete: (record, id, correlationId) => unpushWebhook(push, record, id, correlationId),
  };
  const hook = await createWebhook(hooks, caller, { integrationId: integration.id }, 'corr');
  return { caller, integration, push, hooks, hook };
}

describe('pushing a webhook registration to its vendor', () => {
  it('Autotask: creates a TicketWebhook with our URL and secret and its fields, records it as ours, and deletes it with the webhook', async () => {
    const t = await tenant('autotask');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, { fieldIds: [11, 14] }, 'corr');
    expect(registration).toMatchObject({ vendor: 'autotask', fieldIds: expect.any(Array) });
    const atHook = autotask.ticketWebhooks.get(Number(registration.vendorId));
    expect(atHook).toMatchObject({
      webhookUrl: `${receiverUrl}/api/hooks/${t.hook.id}`,
      secretKey: t.hook.secret,
      updates: true,
      fieldIds: [11, 14],
    });
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toMatchObject({
      vendor: 'autotask',
      vendorId: registration.vendorId,
    });

    // What Autotask then sends, signed with the secretKey we gave it, is accepted.
    const body = JSON.stringify({
      Action: 'Create',
      Guid: randomUUID(),
      EntityType: 'Ticket',
      Id: 42,
      SequenceNumber: 1,
    });
    const sig = createHmac('sha1', atHook!.secretKey).update(body).digest('base64');
    const delivered = await fetch(atHook!.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hook-signature': `sha1=${sig}` },
      body,
    });
    expect(delivered.status).toBe(202);
    const { eventId } = (await delivered.json()) as { eventId: string };
    expect(await loadEvent(t.caller.tenantId, eventId)).toMatchObject({ source: 'autotask', webhookId: t.hook.id });

    // Pushing again is refused; the vendor keeps one registration.
    await expect(pushWebhook(t.push, t.caller, t.hook.id, {}, 'corr')).rejects.toMatchObject({
      code: 'webhook_already_pushed',
    });
    expect(autotask.ticketWebhooks.size).toBeGreaterThanOrEqual(1);

    await deleteWebhook(t.hooks, t.caller, t.hook.id, 'corr');
    expect(autotask.ticketWebhooks.has(Number(registration.vendorId))).toBe(false);
    expect(autotask.count('DELETE', `/ATServicesRest/V1.0/TicketWebhooks/${registration.vendorId}`)).toBe(1);
  });

  it('Autotask refusing the create: 502 vendor_error with its status, nothing recorded', async () => {
    const t = await tenant('autotask');
    autotask.injectFault({ kind: 'status', status: 500 }, { path: '/ATServicesRest/V1.0/TicketWebhooks', times: 1 });
    await expect(pushWebhook(t.push, t.caller, t.hook.id, { fieldIds: [11] }, 'corr')).rejects.toMatchObject({
      code: 'vendor_error',
      details: expect.objectContaining({ vendorStatus: 500 }),
    });
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toBeNull();
  });

  it('Autotask: a TicketWebhook without fields is refused before anything is created (it would never fire)', async () => {
    const t = await tenant('autotask');
    const before = autotask.count('POST', '/ATServicesRest/V1.0/TicketWebhooks');
    await expect(pushWebhook(t.push, t.caller, t.hook.id, {}, 'corr')).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(pushWebhook(t.push, t.caller, t.hook.id, { fieldIds: [] }, 'corr')).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(autotask.count('POST', '/ATServicesRest/V1.0/TicketWebhooks')).toBe(before);
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toBeNull();
  });

  it("Autotask: a long webhook name fits Autotask's 50-character Name; the spec-held fake accepts the push", async () => {
    const t = await tenant('autotask');
    const long = await createWebhook(
      t.hooks,
      t.caller,
      { integrationId: t.integration.id, name: `Ticket events for ${'a very long customer name '.repeat(3)}` },
      'corr',
    );
    const registration = await pushWebhook(t.push, t.caller, long.id, { fieldIds: [11] }, 'corr');
    const atHook = autotask.ticketWebhooks.get(Number(registration.vendorId))!;
    expect(atHook.name.length).toBeLessThanOrEqual(50);
    expect(atHook.name).toBe(long.name.slice(0, 50));
    expect(autotask.wouldFire(Number(registration.vendorId))).toBe(true);
    expect(autotask.refusals).toEqual([]);
  });

  it('Autotask: the spec-held fake refuses a TicketWebhook whose Name is over 50 characters', async () => {
    const response = await fetch(`${autotask.baseUrl}/ATServicesRest/V1.0/TicketWebhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        apiintegrationcode: FAKE_AUTOTASK_CREDENTIALS.integrationCode,
        username: FAKE_AUTOTASK_CREDENTIALS.username,
        secret: FAKE_AUTOTASK_CREDENTIALS.secret,
      },
      body: JSON.stringify({
        name: 'x'.repeat(51),
        webhookUrl: 'https://hub.example/api/hooks/a',
        deactivationUrl: 'https://hub.example/api/hooks/a/deactivated/t',
        secretKey: 's',
        isActive: true,
        sendThresholdExceededNotification: false,
      }),
    });
    expect(response.status).toBe(500);
    expect(((await response.json()) as { errors: string[] }).errors.join(' ')).toMatch(/body\.name must be at most 50/);
  });

  it('Autotask: its unsigned deactivation callout flags the registration inactive; a wrong token changes nothing', async () => {
    const t = await tenant('autotask');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, { fieldIds: [11] }, 'corr');
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toMatchObject({ active: true });
    const atHook = autotask.ticketWebhooks.get(Number(registration.vendorId))!;
    expect(atHook.deactivationUrl).toMatch(
      new RegExp(`^${receiverUrl}/api/hooks/${t.hook.id}/deactivated/[A-Za-z0-9_-]{43}$`),
    );
    const view = (await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration as Record<string, unknown>;
    expect(view).not.toHaveProperty('deactivationTokenSha256');

    const deps = { tables: inboundTables(services().account), audit: services().audit };
    const token = atHook.deactivationUrl.split('/').pop()!;
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    await expect(recordVendorDeactivation(deps, t.hook.id, wrong, 'corr')).rejects.toMatchObject({
      code: 'webhook_not_found',
    });
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toMatchObject({ active: true });

    // What Autotask sends (Action: "Deactivated", no signature) to the URL it was given flags it.
    expect(await autotask.deactivate(Number(registration.vendorId))).toBe(200);
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toMatchObject({
      vendor: 'autotask',
      vendorId: registration.vendorId,
      active: false,
      deactivatedAt: expect.any(String),
    });
    expect(await recordVendorDeactivation(deps, t.hook.id, token, 'corr')).toEqual({ flagged: false });
  });

  it("Autotask: the deactivation shows on the integration's status, next to a probe that may still be green", async () => {
    const t = await tenant('autotask');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, { fieldIds: [11] }, 'corr');
    const status = async () => {
      const report = await integrationStatusReport(statusDeps(), t.caller.tenantId);
      return report.items.find((i) => i.integrationId === t.integration.id)!;
    };
    expect((await status()).webhookNotices).toEqual([]);
    expect(await autotask.deactivate(Number(registration.vendorId))).toBe(200);
    expect((await status()).webhookNotices).toEqual([
      { webhookId: t.hook.id, vendor: 'autotask', problem: 'deactivated', at: expect.any(String) },
    ]);
  });

  it("Halo: creates a webhook per Halo's Webhook schema whose Basic password is our secret; Halo's deliveries are accepted", async () => {
    const t = await tenant('halopsa');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, {}, 'corr');
    const [created] = halo.received('POST', '/api/Webhook');
    const sent = (created!.json as Array<Record<string, unknown>>)[0]!;
    // The body validates against Halo's published Webhook schema (additionalProperties: false).
    const slice = loadSlice('halopsa');
    expect(checkValue(slice, { $ref: '#/components/schemas/Webhook' }, sent, 'body')).toEqual([]);
    expect(halo.refusals).toEqual([]);
    expect(sent).toMatchObject({
      url: `${receiverUrl}/api/hooks/${t.hook.id}`,
      authentication_type: expect.any(Number),
      method: expect.any(Number),
      basic_password: t.hook.secret,
      active: true,
    });
    expect(sent).not.toHaveProperty('password');

    // Halo calls the URL with the Basic credentials it was given: 202; with a wrong password: 401.
    const delivery = (summary: string) => ({ id: 1001, event: 'ticket.created', summary });
    expect(await halo.deliver(registration.vendorId, delivery(`Printer ${randomUUID()}`))).toBe(202);
    const stored = halo.webhooks.get(registration.vendorId)!;
    halo.webhooks.set(registration.vendorId, { ...stored, basic_password: 'not-the-secret' });
    expect(await halo.deliver(registration.vendorId, delivery(`Printer ${randomUUID()}`))).toBe(401);
    halo.webhooks.set(registration.vendorId, stored);

    await deleteWebhook(t.hooks, t.caller, t.hook.id, 'corr');
    expect(halo.count('DELETE', `/api/Webhook/${registration.vendorId}`)).toBe(1);
  });

  it('Halo refuses a webhook body that breaks its Webhook schema (the old field names)', async () => {
    await halo.start();
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: HALO_FAKE_CREDENTIALS.clientId,
      client_secret: HALO_FAKE_CREDENTIALS.clientSecret,
      scope: 'all',
    });
    const token = (await (
      await fetch(`${halo.baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      })
    ).json()) as { access_token: string };
    const refused = await fetch(`${halo.baseUrl}/api/Webhook`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          name: 'x',
          url: 'https://hub.example/api/hooks/1',
          authentication_type: 'basic',
          method: 'POST',
          password: 's',
        },
      ]),
    });
    expect(refused.status).toBe(400);
    const problem = (await refused.json()) as { title: string; errors: Record<string, string[]> };
    expect(problem.title).toBe('One or more validation errors occurred.');
    expect(Object.keys(problem.errors)).toEqual(
      expect.arrayContaining(['$[0].authentication_type', '$[0].method', '$[0].password']),
    );
  });

  it('Graph: the subscription create waits for our validation handshake, notifications verify by clientState, renewal runs on the clock', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const t = await tenant('microsoft365');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, { resource: 'users' }, 'corr');
    const sub = graph.subscriptions.get(registration.vendorId);
    expect(sub).toMatchObject({
      notificationUrl: `${receiverUrl}/api/hooks/${t.hook.id}`,
      clientState: t.hook.secret,
      resource: 'users',
      changeType: 'updated',
    });
    expect(Date.parse(registration.expiresAt!)).toBe(clock.now() + GRAPH_SUBSCRIPTION_LIFETIME_MS);

    // A change notification from Graph carries our clientState and becomes an event.
    const before = accepted.length;
    const note = await graph.notify(registration.vendorId);
    expect(note.status).toBe(202);
    expect(accepted.length).toBe(before + 1);

    // Nothing is due until the expiry is within the renewal window …
    clock.advance(GRAPH_SUBSCRIPTION_LIFETIME_MS - GRAPH_RENEW_BEFORE_MS - 3_600_000);
    expect((await renewVendorRegistrations(t.push)).renewed).toBe(0);
    expect(graph.count('PATCH', `/v1.0/subscriptions/${registration.vendorId}`)).toBe(0);
    // … then the subscription is extended at Graph and on the registration.
    clock.advance(2 * 3_600_000);
    const renewed = await renewVendorRegistrations(t.push);
    expect(renewed).toMatchObject({ renewed: 1, failed: 0 });
    const expected = new Date(clock.now() + GRAPH_SUBSCRIPTION_LIFETIME_MS).toISOString();
    expect(graph.subscriptions.get(registration.vendorId)?.expirationDateTime).toBe(expected);
    const view = await getWebhook(t.hooks, t.caller, t.hook.id);
    expect(view.vendorRegistration).toMatchObject({ vendorId: registration.vendorId, expiresAt: expected });
    expect((await renewVendorRegistrations(t.push)).renewed).toBe(0);

    // A subscription Graph dropped (404 on renewal) is cleared from the registration.
    graph.subscriptions.delete(registration.vendorId);
    clock.advance(GRAPH_SUBSCRIPTION_LIFETIME_MS);
    expect(await renewVendorRegistrations(t.push)).toMatchObject({ lapsed: 1 });
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toBeNull();
  });

  it('Graph: a receive URL that does not answer the handshake fails the push, nothing recorded', async () => {
    const t = await tenant('microsoft365');
    const unreachable = { ...t.push, publicBaseUrl: 'http://127.0.0.1:9' };
    await expect(pushWebhook(unreachable, t.caller, t.hook.id, {}, 'corr')).rejects.toMatchObject({
      code: 'vendor_error',
      details: expect.objectContaining({ vendorStatus: 400 }),
    });
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toBeNull();
  });

  it('a generic webhook cannot be pushed', async () => {
    const t = await tenant('autotask');
    const generic = await createWebhook(t.hooks, t.caller, {}, 'corr');
    await expect(pushWebhook(t.push, t.caller, generic.id, {}, 'corr')).rejects.toMatchObject({
      code: 'webhook_push_unsupported',
    });
  });
});

describe('Graph subscriptions as Graph keeps them (docs/vendors.md "Microsoft 365")', () => {
  it('a changeType users do not support, or a resource the hub does not subscribe to, is refused before Graph is called', async () => {
    const t = await tenant('microsoft365');
    const before = graph.count('POST', '/v1.0/subscriptions');
    const error = await pushWebhook(
      t.push,
      t.caller,
      t.hook.id,
      { resource: 'users', changeType: 'created' },
      'c',
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'validation_failed', details: { field: 'changeType' } });
    expect(String((error as Error).message)).toMatch(/updated, deleted/);
    const unknown = await pushWebhook(t.push, t.caller, t.hook.id, { resource: 'me/messages' }, 'c').catch((e) => e);
    expect(unknown).toMatchObject({ code: 'validation_failed', details: { field: 'resource' } });
    expect(graph.count('POST', '/v1.0/subscriptions')).toBe(before);
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toBeNull();
    // Both accepted types at once are fine.
    const ok = await pushWebhook(
      t.push,
      t.caller,
      t.hook.id,
      { resource: 'users', changeType: 'updated,deleted' },
      'c',
    );
    expect(ok.changeType).toBe('updated,deleted');
  });

  it('registers lifecycleNotificationUrl (handshaken like the notification URL)', async () => {
    const t = await tenant('microsoft365');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, {}, 'corr');
    expect(graph.subscriptions.get(registration.vendorId)?.lifecycleNotificationUrl).toBe(
      `${receiverUrl}/api/hooks/${t.hook.id}`,
    );
  });

  it('reauthorizationRequired: recorded, no event, and the renewal timer renews the subscription at once', async () => {
    const t = await tenant('microsoft365');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, {}, 'corr');
    const events = accepted.length;
    const answer = await graph.lifecycle(registration.vendorId, 'reauthorizationRequired');
    expect(answer.status).toBe(202);
    expect(accepted.length).toBe(events);
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toMatchObject({ active: true });
    const patches = graph.count('PATCH', `/v1.0/subscriptions/${registration.vendorId}`);
    expect(await renewVendorRegistrations(t.push)).toMatchObject({ renewed: 1, failed: 0 });
    expect(graph.count('PATCH', `/v1.0/subscriptions/${registration.vendorId}`)).toBe(patches + 1);
    const view = (await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration;
    expect(view?.actionDueAt).toBeUndefined();
    expect(view?.renewedAt).toBeDefined();
  });

  it('subscriptionRemoved: the registration shows inactive, and the renewal timer creates a new subscription', async () => {
    const t = await tenant('microsoft365');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, {}, 'corr');
    expect((await graph.lifecycle(registration.vendorId, 'subscriptionRemoved')).status).toBe(202);
    const removed = (await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration;
    expect(removed).toMatchObject({ active: false, vendorId: registration.vendorId });
    expect(removed?.removedAt).toBeDefined();

    expect(await renewVendorRegistrations(t.push)).toMatchObject({ renewed: 1, failed: 0 });
    const again = (await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration;
    expect(again).toMatchObject({ active: true, resource: 'users', changeType: 'updated' });
    expect(again?.vendorId).not.toBe(registration.vendorId);
    expect(again?.removedAt).toBeUndefined();
    expect(graph.subscriptions.get(again!.vendorId)?.clientState).toBe(t.hook.secret);
  });

  it('missed: counted on the registration so the operator sees that events were lost', async () => {
    const t = await tenant('microsoft365');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, {}, 'corr');
    await graph.lifecycle(registration.vendorId, 'missed');
    await graph.lifecycle(registration.vendorId, 'missed');
    const view = (await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration;
    expect(view?.missed?.count).toBe(2);
    expect(view).toMatchObject({ active: true });
    const report = await integrationStatusReport(statusDeps(), t.caller.tenantId);
    expect(report.items.find((i) => i.integrationId === t.integration.id)?.webhookNotices).toEqual([
      { webhookId: t.hook.id, vendor: 'microsoft365', problem: 'missed', at: expect.any(String), count: 2 },
    ]);
  });

  it('a lifecycle notification with a wrong clientState is refused and changes nothing', async () => {
    const t = await tenant('microsoft365');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, {}, 'corr');
    const answer = await graph.lifecycle(registration.vendorId, 'subscriptionRemoved', 'not-the-secret');
    expect(answer.status).toBe(401);
    const view = (await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration;
    expect(view).toMatchObject({ active: true });
    expect(view?.removedAt).toBeUndefined();
  });
});
