import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import type { Principal } from '../../shared/apikeys/principal';
import { ManualClock } from '../../shared/clock';
import type { Settings } from '../../shared/config/settings';
import { DomainError } from '../../shared/errors/domain-error';
import { type DnsLookup, type NetworkPolicy, networkPolicyFromSettings } from '../../shared/net/guard';
import { createSubscriptionBody } from '../../shared/outbound/api-schemas';
import { recordNextAttempt, runAutomaticAttempt, runManualAttempt } from '../../shared/outbound/attempt';
import { retryFailedDeliveries } from '../../shared/outbound/bulk-retry';
import { getDelivery, listDeliveries } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { publishToSubscribers } from '../../shared/outbound/publish';
import type { DeliveryStarter } from '../../shared/outbound/starter';
import {
  createSubscription,
  getSubscription,
  listSubscriptions,
  rotateSubscriptionSecret,
  updateSubscription,
} from '../../shared/outbound/subscriptions';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { outboundDeps, outboundFileHooks } from '../support/outbound-deps';
import { answer, type Receiver, startReceiver } from '../support/webhook-receiver';

/**
 * Outbound delivery end to end inside one process, on the suite's Azurite and real loopback
 * receivers: subscriptions, publish and fan-out, signed attempts, 410, Retry-After, manual and bulk
 * retries, rotation, endpoint health and the SSRF guard. The schedule itself runs on the local
 * host's Durable engine (test/e2e/outbound-delivery.test.ts).
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const production = networkPolicyFromSettings({ HUB_ENVIRONMENT: 'production' } as Settings);
const counters = new Counters(counterTables(account));

function deps(overrides: Partial<OutboundDeps> = {}): OutboundDeps {
  return outboundDeps(account, counters, overrides);
}

function caller(): Principal {
  return { tenantId: `t-${randomBytes(5).toString('hex')}`, keyId: 'key1', scopes: ['admin'] };
}

/** Records the deliveries a publish would start; tests then run the attempts themselves. */
function recordingStarter(): DeliveryStarter & { started: string[] } {
  const started: string[] = [];
  return {
    started,
    start: async (_tenant, id) => {
      started.push(id);
      return 'started';
    },
  };
}

const { receivers, useClock } = outboundFileHooks();
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

const ticket = { ticketId: 'T-1', title: 'Backup failed', priority: 'high' };

async function publishOne(d: OutboundDeps, who: Principal, source = 'admin') {
  const starter = recordingStarter();
  const result = await publishToSubscribers(d, who.tenantId, { type: 'ticket.created', data: ticket, source }, starter);
  return { ...result, started: starter.started };
}

describe('subscriptions', () => {
  it('the signing secret is shown once: never in a later response', async () => {
    const d = deps();
    const who = caller();
    const r = await receiver();
    const created = await createSubscription(d, who, { url: r.url, eventTypes: ['ticket.*'] }, 'c1');
    expect(created.secret).toMatch(/^whsec_/);
    const later = [
      await getSubscription(d, who.tenantId, created.id),
      await listSubscriptions(d, who.tenantId, { limit: 10 }),
      await updateSubscription(d, who, created.id, { description: 'renamed' }, 'c2'),
    ];
    for (const view of later) {
      const text = JSON.stringify(view);
      expect(text).not.toContain(created.secret);
      expect(text).not.toContain(created.secret.slice(6));
      expect(text).not.toMatch(/encrypted|whsec_/i);
    }
  });

  it('custom headers: hop-by-hop, auth and signature headers are refused; ordinary ones kept', () => {
    const base = { url: 'https://example.com/hook', eventTypes: ['*'] };
    for (const name of [
      'Connection',
      'Transfer-Encoding',
      'Authorization',
      'Host',
      'webhook-signature',
      'X-Webhook-Event',
    ]) {
      expect(createSubscriptionBody.safeParse({ ...base, headers: { [name]: 'x' } }).success, name).toBe(false);
    }
    expect(createSubscriptionBody.safeParse({ ...base, headers: { 'X-Tenant': 'a\r\nInjected: 1' } }).success).toBe(
      false,
    );
    expect(createSubscriptionBody.safeParse({ ...base, headers: { 'X-Customer': 'contoso' } }).success).toBe(true);
    expect(createSubscriptionBody.safeParse({ ...base, eventTypes: ['ticket.deleted'] }).success).toBe(false);
    expect(createSubscriptionBody.safeParse({ ...base, eventTypes: ['alert.*', 'invoice.created'] }).success).toBe(
      true,
    );
  });
});

describe('SSRF guard on subscription URLs (local development settings off)', () => {
  const zone: DnsLookup = async (host) => {
    if (host === 'intranet.example.com') return [{ address: '10.1.2.3', family: 4 }];
    if (host === 'hooks.example.com') return [{ address: '93.184.216.34', family: 4 }];
    throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };

  it('refuses loopback, private, metadata, IPv6 loopback and names resolving to private addresses', async () => {
    const d = deps({ policy: production, dnsLookup: zone });
    const who = caller();
    for (const url of [
      'https://127.0.0.1/hook',
      'https://10.0.0.5/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://intranet.example.com/hook',
      'http://hooks.example.com/hook',
    ]) {
      const error = await createSubscription(d, who, { url, eventTypes: ['*'] }, 'c').catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(DomainError);
      expect((error as DomainError).code, url).toBe('outbound_url_blocked');
    }
    await expect(
      createSubscription(d, who, { url: 'https://hooks.example.com/h', eventTypes: ['*'] }, 'c'),
    ).resolves.toBeTruthy();
  });

  it('a delivery whose endpoint redirects to a private or metadata address is refused at that hop', async () => {
    // Loopback stands in for a public endpoint; everything private stays refused.
    const policy: NetworkPolicy = { ...production, allowHttp: true, allowLoopback: true };
    const d = deps({ policy });
    const who = caller();
    const r = await receiver(answer(307, { location: 'http://169.254.169.254/latest/meta-data' }));
    await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const { started } = await publishOne(d, who);
    const outcome = await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: started[0]!, k: 1 });
    expect(outcome.kind).toBe('retry');
    const delivery = await getDelivery(d, who.tenantId, started[0]!);
    expect(delivery.attempts?.[0]?.error).toMatch(/not allowed.*metadata/);
    expect(delivery.attempts?.[0]?.statusCode).toBeNull();
    r.respond(answer(302, { location: 'http://10.0.0.7/internal' }));
    await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: started[0]!, k: 2 });
    expect((await getDelivery(d, who.tenantId, started[0]!)).attempts?.[1]?.error).toMatch(/private/);
    expect(r.received).toHaveLength(2); // the receiver saw the first hops only
  });
});

describe('publish and attempts', () => {
  it('fans out to matching subscriptions only; each attempt arrives signed for both schemes with the event headers', async () => {
    const d = deps();
    const who = caller();
    const r = await receiver();
    const sub = await createSubscription(
      d,
      who,
      { url: r.url, eventTypes: ['ticket.*'], headers: { 'X-Customer': 'contoso' } },
      'c',
    );
    await createSubscription(d, who, { url: r.url, eventTypes: ['alert.triggered'] }, 'c');
    await createSubscription(d, who, { url: r.url, eventTypes: ['*'], products: ['autotask'] }, 'c');
    const published = await publishOne(d, who);
    expect(published.deliveries).toBe(1);
    expect(published.started).toHaveLength(1);
    const deliveryId = published.started[0]!;
    expect(await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId, k: 1 })).toEqual({ kind: 'succeeded' });
    const got = r.received[0]!;
    expect(new Webhook(sub.secret).verify(got.body, got.headers as Record<string, string>)).toMatchObject({
      type: 'ticket.created',
      eventId: published.eventId,
      data: ticket,
    });
    expect(got.headers['webhook-id']).toBe(deliveryId);
    expect(got.headers['x-webhook-signature']).toBe(
      `sha256=${createHmac('sha256', sub.secret).update(got.body).digest('hex')}`,
    );
    expect(got.headers['x-webhook-event']).toBe('ticket.created');
    expect(got.headers['x-webhook-attempt']).toBe('1');
    expect(got.headers['x-webhook-attempt-trigger']).toBe('initial');
    expect(got.headers['x-customer']).toBe('contoso');
    const delivery = await getDelivery(d, who.tenantId, deliveryId);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts).toMatchObject([{ n: 1, trigger: 'initial', statusCode: 200, responseExcerpt: 'ok' }]);
    // A second run of the same automatic attempt (a crash re-run) sends nothing.
    expect(await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId, k: 1 })).toEqual({ kind: 'succeeded' });
    expect(r.received).toHaveLength(1);
    const totals = await counters.totals(who.tenantId, Date.now() - 86_400_000, Date.now() + 86_400_000, 'day', {
      integrationType: 'outbound_webhook',
      integrationId: sub.id,
    });
    expect(totals.reduce((n, t) => n + t.count, 0)).toBe(1);
    expect(totals[0]).toMatchObject({ outcome: 'succeeded', code: '200' });
  });

  it('a response excerpt is at most 4 KiB; a failing fifth automatic attempt fails the delivery', async () => {
    const d = deps();
    const who = caller();
    const r = await receiver(answer(500, {}, 'e'.repeat(10_000)));
    await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const { started } = await publishOne(d, who);
    const id = started[0]!;
    for (let k = 1; k <= 4; k++) {
      expect((await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: id, k })).kind).toBe('retry');
      await recordNextAttempt(d, { tenantId: who.tenantId, deliveryId: id, nextAttemptAt: '2030-01-01T00:00:00.000Z' });
      expect((await getDelivery(d, who.tenantId, id)).status).toBe('retrying');
    }
    expect(await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: id, k: 5 })).toEqual({ kind: 'failed' });
    const delivery = await getDelivery(d, who.tenantId, id);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts).toHaveLength(5);
    expect(delivery.attempts?.[0]?.responseExcerpt).toHaveLength(4096);
    expect(delivery.attempts?.[0]?.nextAttemptAt).toBe('2030-01-01T00:00:00.000Z');
    expect(r.received.map((x) => x.headers['x-webhook-attempt-trigger'])).toEqual([
      'initial',
      'automatic',
      'automatic',
      'automatic',
      'automatic',
    ]);
  });

  it('410 Gone disables the subscription and stops; later events are kept as skipped and retryable after re-enabling', async () => {
    const d = deps();
    const who = caller();
    const r = await receiver(answer(410));
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const first = await publishOne(d, who);
    expect(await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: first.started[0]!, k: 1 })).toEqual({
      kind: 'gone',
    });
    const disabled = await getSubscription(d, who.tenantId, sub.id);
    expect(disabled.enabled).toBe(false);
    expect(disabled.disabledReason).toMatch(/410/);
    expect((await getDelivery(d, who.tenantId, first.started[0]!)).status).toBe('failed');

    const second = await publishOne(d, who);
    expect(second).toMatchObject({ deliveries: 1, skipped: 1, started: [] });
    const skipped = await listDeliveries(d, who.tenantId, { status: 'skipped', limit: 10 });
    expect(skipped.items).toHaveLength(1);
    await expect(runManualAttempt(d, who.tenantId, skipped.items[0]!.id)).rejects.toMatchObject({
      code: 'subscription_disabled',
    });
    r.respond(answer(204));
    await updateSubscription(d, who, sub.id, { enabled: true }, 'c');
    const retried = await runManualAttempt(d, who.tenantId, skipped.items[0]!.id);
    expect(retried).toMatchObject({ status: 'succeeded', attempt: { n: 1, trigger: 'manual', statusCode: 204 } });
  });

  it('Retry-After longer than the next step is reported to the orchestration', async () => {
    const d = deps();
    const who = caller();
    const r = await receiver(answer(503, { 'retry-after': '900' }));
    await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const { started } = await publishOne(d, who);
    expect(await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: started[0]!, k: 1 })).toEqual({
      kind: 'retry',
      retryAfterMs: 900_000,
    });
  });

  it('a manual retry is logged as manual, does not count toward the five, and answers 409 while an attempt is in flight', async () => {
    const d = deps();
    const who = caller();
    let release: (() => void) | undefined;
    const r = await receiver(answer(500));
    await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const { started } = await publishOne(d, who);
    const id = started[0]!;
    await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: id, k: 1 });
    // Signalled when the manual attempt's request reaches the receiver (it is then in flight).
    const inFlight = new Promise<void>((arrived) => {
      r.respond((_req, _n, res) => {
        release = () => res.writeHead(200).end('late ok');
        arrived();
      });
    });
    const slow = runManualAttempt(d, who.tenantId, id);
    await inFlight;
    await expect(runManualAttempt(d, who.tenantId, id)).rejects.toMatchObject({ code: 'attempt_in_flight' });
    r.respond(answer(200));
    release?.();
    expect(await slow).toMatchObject({ status: 'succeeded', attempt: { n: 2, trigger: 'manual', statusCode: 200 } });
    const delivery = await getDelivery(d, who.tenantId, id);
    expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 2, automaticAttempts: 1 });
    expect(r.received.map((x) => x.headers['x-webhook-attempt-trigger'])).toEqual(['initial', 'manual']);
    // The schedule stops: the next automatic attempt sends nothing.
    expect(await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: id, k: 2 })).toMatchObject({
      kind: 'stopped',
    });
    expect(r.received).toHaveLength(2);
    // Allowed on a succeeded delivery too.
    expect((await runManualAttempt(d, who.tenantId, id)).attempt).toMatchObject({ n: 3, statusCode: 200 });
  });

  it('bulk retry sends one manual attempt per failed delivery of the subscription in the range', async () => {
    const d = deps();
    const who = caller();
    const r = await receiver(answer(500));
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { started } = await publishOne(d, who);
      ids.push(started[0]!);
      for (let k = 1; k <= 5; k++) await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: started[0]!, k });
    }
    r.respond(answer(200));
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const result = await retryFailedDeliveries(d, who.tenantId, { subscriptionId: sub.id, from, to, limit: 100 });
    expect(result).toMatchObject({ attempted: 3, succeeded: 3, stillFailing: 0, nextCursor: null });
    expect(new Set(result.deliveryIds)).toEqual(new Set(ids));
    expect((await listDeliveries(d, who.tenantId, { status: 'failed', limit: 10 })).items).toHaveLength(0);
    expect((await listDeliveries(d, who.tenantId, { status: 'succeeded', limit: 10 })).items).toHaveLength(3);
  });

  it('bulk retry stops when its time budget is spent and continues from nextCursor, retrying each delivery once', async () => {
    const d = deps();
    const who = caller();
    const r = await receiver(answer(500));
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { started } = await publishOne(d, who);
      ids.push(started[0]!);
      for (let k = 1; k <= 5; k++) await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: started[0]!, k });
    }
    // Still failing: a retried delivery stays `failed`, so only the cursor keeps it from a second attempt.
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    // A spent budget: every call does one chunk (here one delivery) and hands back the rest.
    const spent = { budgetMs: 0, chunk: 1 };
    const retried: string[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const result = await retryFailedDeliveries(
        d,
        who.tenantId,
        { subscriptionId: sub.id, from, to, limit: 100, cursor },
        spent,
      );
      calls++;
      retried.push(...result.deliveryIds);
      expect(result.stillFailing).toBe(result.attempted);
      cursor = result.nextCursor ?? undefined;
    } while (cursor && calls < 10);
    expect(cursor).toBeUndefined();
    expect(retried.sort()).toEqual([...ids].sort());
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it('during a rotation a receiver holding only the old or only the new secret verifies', async () => {
    const d = deps();
    const who = caller();
    const r = await receiver();
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const rotated = await rotateSubscriptionSecret(d, who, sub.id, 24, 'c');
    expect(rotated.secret).not.toBe(sub.secret);
    expect(rotated.previousSecretExpiresAt).not.toBeNull();
    const { started } = await publishOne(d, who);
    await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: started[0]!, k: 1 });
    const got = r.received[0]!;
    const headers = got.headers as Record<string, string>;
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(new Webhook(sub.secret).verify(got.body, headers)).toBeTruthy();
    expect(new Webhook(rotated.secret).verify(got.body, headers)).toBeTruthy();
    expect(JSON.stringify(await getSubscription(d, who.tenantId, sub.id))).not.toContain(rotated.secret);
  });
});

describe('endpoint health', () => {
  it('tracks success rate and streaks; no success for 5 days disables the subscription with the reason', async () => {
    const clock = new ManualClock(Date.now());
    useClock(clock);
    const d = deps();
    const who = caller();
    const r = await receiver(answer(200));
    const sub = await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const ok = await publishOne(d, who);
    await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: ok.started[0]!, k: 1 });
    r.respond(answer(502));
    for (let i = 0; i < 3; i++) {
      const { started } = await publishOne(d, who);
      await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: started[0]!, k: 1 });
      clock.advance(24 * 3_600_000);
    }
    let view = await getSubscription(d, who.tenantId, sub.id);
    expect(view.enabled).toBe(true);
    expect(view.health).toMatchObject({ attempts: 4, successes: 1, successRate: 0.25, consecutiveFailures: 3 });
    clock.advance(2 * 24 * 3_600_000);
    const late = await publishOne(d, who);
    await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: late.started[0]!, k: 1 });
    view = await getSubscription(d, who.tenantId, sub.id);
    expect(view.enabled).toBe(false);
    expect(view.disabledReason).toMatch(/no successful delivery for 120 hours/);
    expect(view.health.consecutiveFailures).toBe(4);
    // Published while disabled: kept as skipped.
    expect(await publishOne(d, who)).toMatchObject({ deliveries: 1, skipped: 1 });
  });
});

describe('delivery log', () => {
  it('filters by subscription, event type, status and time range, newest first, paged', async () => {
    const d = deps();
    const who = caller();
    const r = await receiver(answer(200));
    const a = await createSubscription(d, who, { url: r.url, eventTypes: ['*'] }, 'c');
    const b = await createSubscription(d, who, { url: r.url, eventTypes: ['alert.*'] }, 'c');
    const starter = recordingStarter();
    await publishToSubscribers(d, who.tenantId, { type: 'ticket.created', data: ticket, source: 'admin' }, starter);
    await publishToSubscribers(
      d,
      who.tenantId,
      { type: 'alert.triggered', data: { alertId: 'a', severity: 'high', message: 'm' }, source: 'datto-rmm' },
      starter,
    );
    expect(starter.started).toHaveLength(3);
    await runAutomaticAttempt(d, { tenantId: who.tenantId, deliveryId: starter.started[0]!, k: 1 });
    const all = await listDeliveries(d, who.tenantId, { limit: 50 });
    expect(all.items).toHaveLength(3);
    const created = all.items.map((x) => x.id);
    expect([...created].sort()).toEqual(created); // newest-first ids sort ascending
    expect((await listDeliveries(d, who.tenantId, { subscriptionId: a.id, limit: 50 })).items).toHaveLength(2);
    expect((await listDeliveries(d, who.tenantId, { subscriptionId: b.id, limit: 50 })).items).toHaveLength(1);
    expect((await listDeliveries(d, who.tenantId, { eventType: 'alert.triggered', limit: 50 })).items).toHaveLength(2);
    expect((await listDeliveries(d, who.tenantId, { status: 'succeeded', limit: 50 })).items).toHaveLength(1);
    expect((await listDeliveries(d, who.tenantId, { status: 'pending', limit: 50 })).items).toHaveLength(2);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await listDeliveries(d, who.tenantId, { from: future, to: future, limit: 50 })).items).toHaveLength(0);
    const page1 = await listDeliveries(d, who.tenantId, { limit: 2 });
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await listDeliveries(d, who.tenantId, { limit: 2, cursor: page1.nextCursor ?? undefined });
    expect([...page1.items, ...page2.items].map((x) => x.id)).toEqual(created);
    // The last page says so: no cursor to an empty page (a full last page, too).
    expect(page2.nextCursor).toBeNull();
    const exact = await listDeliveries(d, who.tenantId, { limit: 3 });
    expect(exact.items).toHaveLength(3);
    expect(exact.nextCursor).toBeNull();
    const filteredFull = await listDeliveries(d, who.tenantId, { subscriptionId: a.id, limit: 2 });
    expect(filteredFull.nextCursor).toBeNull();
    // Each listed delivery carries its last attempt (null before the first).
    const attempted = all.items.find((x) => x.id === starter.started[0]);
    expect(attempted?.lastAttempt).toMatchObject({ n: 1, trigger: 'initial', statusCode: 200 });
    expect(attempted?.lastAttempt).not.toHaveProperty('responseExcerpt');
    expect(all.items.filter((x) => x.id !== starter.started[0]).map((x) => x.lastAttempt)).toEqual([null, null]);
  });
});
