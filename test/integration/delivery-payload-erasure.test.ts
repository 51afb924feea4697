import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import { services } from '../../shared/app/services';
import { ManualClock } from '../../shared/clock';
import { createWebhook } from '../../shared/inbound/webhooks';
import { runAutomaticAttempt, runManualAttempt } from '../../shared/outbound/attempt';
import { getDelivery } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import { keyedDeliveryId, publishToSubscribers } from '../../shared/outbound/publish';
import { createSubscription } from '../../shared/outbound/subscriptions';
import { dayPartition } from '../../shared/outbound/tables';
import type { ErasureDeps } from '../../shared/payload-erasure/payloads';
import { erasePayloadOnRequest } from '../../shared/payload-erasure/payloads';
import { erasePayloadsPastTenantWindows } from '../../shared/payload-erasure/retention';
import { installLocalSettings } from '../support/local-settings';
import { outboundDeps, outboundFileHooks } from '../support/outbound-deps';
import { ownYearStart } from '../support/own-year';
import { receiveHarness } from '../support/receive-harness';
import { answer, startReceiver } from '../support/webhook-receiver';

/**
 * Delivery payloads under erasure and the tenant's payload window, on the suite's Azurite
 * (docs/storage.md, "Payload retention and erasure"): erasing an inbound event on request also
 * erases the outbound event published under its id and every delivery of it (inline body and the
 * `outboundevents` data); metadata, attempts and counts stay; a manual retry is 410
 * payload_erased and an automatic attempt sends nothing. The housekeeping erases delivery payloads
 * whose whole day is past the tenant's window, and nothing newer nor another tenant's.
 * Each test lives on far-future days of its own (the housekeeping walks cross-tenant day lists).
 */
const DAY = 86_400_000;
const account = () => services().account;
const ticket = { ticketId: 'T-7', title: 'Backup failed', priority: 'high' };
const { receivers, useClock } = outboundFileHooks();

beforeAll(() => installLocalSettings());

function ownClock(): ManualClock {
  const clock = new ManualClock(ownYearStart('delivery-payload-erasure'));
  useClock(clock);
  return clock;
}

function outbound(): OutboundDeps {
  return outboundDeps(account(), new Counters(counterTables(account())), { audit: services().audit });
}

/** A tenant with an inbound webhook (events posted through the receive path) and a subscriber. */
async function tenant(d: OutboundDeps) {
  const h = receiveHarness('generic');
  const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'corr');
  const receiver = await startReceiver(answer(500, {}, 'down'));
  receivers.push(receiver);
  const sub = await createSubscription(d, h.caller, { url: receiver.url, eventTypes: ['ticket.*'] }, 'c1');
  const inbound = async (body: string) => {
    const sig = createHmac('sha256', hook.secret).update(body).digest('hex');
    const result = await h.post(hook.id, body, {
      'x-webhook-signature': `sha256=${sig}`,
      'x-webhook-id': randomUUID(),
    });
    const id = (result as { body?: { eventId?: string } }).body?.eventId;
    if (!id) throw new Error(`not accepted: ${JSON.stringify(result)}`);
    return id;
  };
  /** What the pipeline does for a succeeded event: publish under the inbound event's id. */
  const published = async () => {
    // A body of its own: the same signed bytes again would be deduplicated into the same event.
    const eventId = await inbound(JSON.stringify({ type: 'ticket.created', n: randomUUID() }));
    await publishToSubscribers(
      d,
      h.tenantId,
      { type: 'ticket.created', data: ticket, source: 'autotask', key: eventId },
      undefined,
    );
    return { eventId, deliveryId: keyedDeliveryId(eventId, sub.id) };
  };
  return { h, receiver, sub, published };
}

async function rawDelivery(d: OutboundDeps, tenantId: string, id: string) {
  return (await d.tables.deliveries.get(dayPartition(tenantId, id), id))?.value;
}

async function rawEvent(d: OutboundDeps, tenantId: string, id: string) {
  return (await d.tables.events.get(dayPartition(tenantId, id), id))?.value;
}

async function auditActions(tenantId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const row of services().audit.iterate(tenantId)) out.push(row.value.action);
  return out;
}

describe('delivery payloads erased on request', () => {
  it('erasing an event erases the deliveries published from it; metadata stays; retry is payload_erased; nothing is sent', async () => {
    ownClock();
    const d = outbound();
    const t = await tenant(d);
    const erasure: ErasureDeps = { audit: services().audit, outbound: d };
    const { eventId, deliveryId } = await t.published();
    const kept = await t.published();
    // One failed manual attempt first: attempts and counts must survive the erasure.
    const first = await runManualAttempt(d, t.h.tenantId, deliveryId);
    expect(first.attempt.statusCode).toBe(500);
    expect(t.receiver.received).toHaveLength(1);
    const before = await rawDelivery(d, t.h.tenantId, deliveryId);
    expect(before?.eventBody).toContain('Backup failed');
    // A body of at most 16 KiB rides on the delivery row alone: no outbound event row (§83).
    expect(await rawEvent(d, t.h.tenantId, eventId)).toBeUndefined();

    await erasePayloadOnRequest(erasure, t.h.caller, eventId, 'corr-erase');

    const after = await rawDelivery(d, t.h.tenantId, deliveryId);
    expect(after?.eventBody).toBeUndefined();
    expect(after?.payloadErasedAt).toBeTruthy();
    expect(after).toMatchObject({
      eventId,
      subscriptionId: t.sub.id,
      status: before?.status,
      attemptCount: 1,
      createdAt: before?.createdAt,
    });
    expect(await rawEvent(d, t.h.tenantId, eventId)).toBeUndefined();
    const view = await getDelivery(d, t.h.tenantId, deliveryId);
    expect(view.attempts).toHaveLength(1);

    await expect(runManualAttempt(d, t.h.tenantId, deliveryId)).rejects.toMatchObject({ code: 'payload_erased' });
    const automatic = await runAutomaticAttempt(d, { tenantId: t.h.tenantId, deliveryId, k: 1 });
    expect(automatic).toEqual({ kind: 'stopped', reason: 'the payload was erased' });
    expect(t.receiver.received).toHaveLength(1);

    // The other event's delivery is untouched, and a second erasure changes nothing and audits nothing.
    expect((await rawDelivery(d, t.h.tenantId, kept.deliveryId))?.eventBody).toContain('Backup failed');
    await erasePayloadOnRequest(erasure, t.h.caller, eventId, 'corr-again');
    expect((await rawDelivery(d, t.h.tenantId, deliveryId))?.payloadErasedAt).toBe(after?.payloadErasedAt);
    expect((await auditActions(t.h.tenantId)).filter((a) => a === 'event.payload_erased')).toHaveLength(1);
  });

  it('an event published through the API (no inbound event) is erased by its id; another tenant gets 404', async () => {
    ownClock();
    const d = outbound();
    const t = await tenant(d);
    const erasure: ErasureDeps = { audit: services().audit, outbound: d };
    // A body over 16 KiB (a hundred changed fields of non-Latin names, 200 bytes each) is kept on an
    // outbound event row rather than on the delivery row (§83); the erasure empties that row too.
    await createSubscription(d, t.h.caller, { url: t.receiver.url, eventTypes: ['company.*'] }, 'c2');
    const large = {
      companyId: 'C-1',
      name: 'Contoso',
      changedFields: Array.from({ length: 100 }, () => '\u{1F600}'.repeat(50)),
    };
    const result = await publishToSubscribers(
      d,
      t.h.tenantId,
      { type: 'company.updated', data: large, source: 'admin' },
      undefined,
    );
    const other = { tenantId: `tn-${randomBytes(4).toString('hex')}`, keyId: 'k' };
    await expect(erasePayloadOnRequest(erasure, other, result.eventId, 'c')).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await rawEvent(d, t.h.tenantId, result.eventId))?.data).toEqual(large);

    await erasePayloadOnRequest(erasure, t.h.caller, result.eventId, 'c');
    const event = await rawEvent(d, t.h.tenantId, result.eventId);
    expect(event).toMatchObject({ type: 'company.updated', deliveries: 1, data: {} });
    expect(event?.payloadErasedAt).toBeTruthy();
    expect(JSON.stringify(event)).not.toContain('Contoso');
    expect((await auditActions(t.h.tenantId)).filter((a) => a === 'event.payload_erased')).toHaveLength(1);
  });
});

describe('delivery payloads under the tenant payload window', () => {
  it('the housekeeping erases delivery payloads whose day is past the window; newer ones and other tenants stay', async () => {
    const clock = ownClock();
    const d = outbound();
    const t = await tenant(d);
    const other = await tenant(d);
    const old = await t.published();
    const otherOld = await other.published();
    clock.advance(3 * DAY);
    const recent = await t.published();

    const run = () =>
      erasePayloadsPastTenantWindows({
        tenants: [{ tenantId: t.h.tenantId, days: 2 }],
        platformDays: 30,
        outbound: { deps: d, retentionDays: 30 },
      });
    // The old inbound event and its delivery: two erasures (a small body has no outbound event row, §83).
    expect(await run()).toEqual({ erased: 2, more: false });
    expect((await rawDelivery(d, t.h.tenantId, old.deliveryId))?.payloadErasedAt).toBeTruthy();
    expect((await rawDelivery(d, t.h.tenantId, old.deliveryId))?.eventBody).toBeUndefined();
    expect((await rawDelivery(d, t.h.tenantId, recent.deliveryId))?.eventBody).toContain('Backup failed');
    expect((await rawDelivery(d, other.h.tenantId, otherOld.deliveryId))?.eventBody).toContain('Backup failed');
    // A second run finds nothing left. Two days on, the recent day is past a 1-day window: a
    // budget of one erases its inbound event and stops with `more`.
    expect(await run()).toEqual({ erased: 0, more: false });
    clock.advance(2 * DAY);
    expect(
      await erasePayloadsPastTenantWindows({
        tenants: [{ tenantId: t.h.tenantId, days: 1 }],
        platformDays: 30,
        limit: 1,
        outbound: { deps: d, retentionDays: 30 },
      }),
    ).toEqual({ erased: 1, more: true });
  });
});
