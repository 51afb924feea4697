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
  renewVendorRegistrations,
  unpushWebhook,
} from '../../shared/inbound/vendor-push';
import { createWebhook, deleteWebhook, getWebhook, type WebhookDeps } from '../../shared/inbound/webhooks';
import { integrationDeps } from '../../shared/integrations/deps';
import { createIntegration, getIntegration, openIntegrationSession } from '../../shared/integrations/integrations';
import { createLogger } from '../../shared/observability/logger';
import { AutotaskFake, FAKE_AUTOTASK_CREDENTIALS } from '../fakes/autotask';
import type { FakeVendorServer } from '../fakes/core/fake-server';
import { createHaloFake, HALO_FAKE_CREDENTIALS } from '../fakes/halopsa';
import { M365_FAKE_CREDENTIALS, M365_FAKE_TENANT, M365FakeServer } from '../fakes/microsoft365';
import { installLocalSettings } from '../support/local-settings';

/**
 * Pushing webhook registrations to vendors (issue 12 §1) against the fake vendors over loopback:
 * Autotask TicketWebhooks (+ fields), Halo webhooks and Graph subscriptions — whose fake performs
 * the validation handshake against our receive URL, served here by the real receive function —
 * recorded as ours, removed at the vendor on delete, and Graph renewal on the clock.
 */
const autotask = new AutotaskFake();
const halo: FakeVendorServer = createHaloFake();
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
    await expect(pushWebhook(t.push, t.caller, t.hook.id, {}, 'corr')).rejects.toMatchObject({
      code: 'vendor_error',
      details: expect.objectContaining({ vendorStatus: 500 }),
    });
    expect((await getWebhook(t.hooks, t.caller, t.hook.id)).vendorRegistration).toBeNull();
  });

  it('Halo: creates a webhook that authenticates with Basic credentials whose password is our secret', async () => {
    const t = await tenant('halopsa');
    const registration = await pushWebhook(t.push, t.caller, t.hook.id, {}, 'corr');
    const [created] = halo.received('POST', '/api/Webhook');
    const sent = (created!.json as Array<Record<string, unknown>>)[0]!;
    expect(sent).toMatchObject({ url: `${receiverUrl}/api/hooks/${t.hook.id}`, password: t.hook.secret });

    const basic = (password: string) =>
      `Basic ${Buffer.from(`${String(sent.username)}:${password}`).toString('base64')}`;
    const post = (password: string) =>
      fetch(String(sent.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic(password) },
        body: JSON.stringify({ id: 1001, event: 'ticket.created', summary: `Printer ${randomUUID()}` }),
      });
    expect((await post(t.hook.secret)).status).toBe(202);
    expect((await post('not-the-secret')).status).toBe(401);

    await deleteWebhook(t.hooks, t.caller, t.hook.id, 'corr');
    expect(halo.count('DELETE', `/api/Webhook/${registration.vendorId}`)).toBe(1);
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
