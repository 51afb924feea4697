import { createHmac, randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { services } from '../../shared/app/services';
import { installClock, ManualClock } from '../../shared/clock';
import { DomainError } from '../../shared/errors/domain-error';
import { loadEventRecord, payloadStore } from '../../shared/events/event-store';
import { createWebhook } from '../../shared/inbound/webhooks';
import { erasureDeps } from '../../shared/payload-erasure/deps';
import { erasePayloadOnRequest } from '../../shared/payload-erasure/payloads';
import { erasePayloadsPastTenantWindows } from '../../shared/payload-erasure/retention';
import { replayDeps } from '../../shared/replay/deps';
import { replayEvent } from '../../shared/replay/replay';
import { tenantDeps } from '../../shared/tenants/deps';
import { createTenant, setPayloadRetention } from '../../shared/tenants/tenants';
import { installLocalSettings } from '../support/local-settings';
import { ownYearStart } from '../support/own-year';
import { receiveHarness } from '../support/receive-harness';

/**
 * Payload retention per tenant and erasure on request, against Azurite on the injected clock
 * (docs/storage.md, "Payload retention and erasure"): erasure removes the body (inline or blob),
 * preview and normalised event and keeps the row; it is idempotent and audited once; a replay of
 * an erased event is refused with payload_erased; the housekeeping erases payloads past the
 * tenant's window and nothing newer; the tenant setting refuses more than the platform maximum.
 * Each test lives on far-future days of its own (the housekeeping walks the cross-tenant `eventdays`).
 */
const DAY = 86_400_000;

beforeAll(() => installLocalSettings());

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
});

function ownClock(): ManualClock {
  const clock = new ManualClock(ownYearStart('payload-erasure'));
  restoreClock = installClock(clock);
  return clock;
}

function harness() {
  const h = receiveHarness('generic');
  const post = async (webhookId: string, secret: string, body: string) => {
    const sig = createHmac('sha256', secret).update(body).digest('hex');
    const result = await h.post(webhookId, body, {
      'x-webhook-signature': `sha256=${sig}`,
      'x-webhook-id': randomUUID(),
    });
    const id = (result as { body?: { eventId?: string } }).body?.eventId;
    if (!id) throw new Error(`not accepted: ${JSON.stringify(result)}`);
    return id;
  };
  return { ...h, post };
}

async function auditActions(tenantId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const row of services().audit.iterate(tenantId)) out.push(row.value.action);
  return out;
}

const operator: Principal = { tenantId: '_operator', keyId: 'operator', scopes: ['operator'] };

describe('payload erasure on request', () => {
  it('erases a blob payload and keeps the metadata; twice is a no-op audited once; replay answers payload_erased', async () => {
    ownClock();
    const h = harness();
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'corr');
    const big = JSON.stringify({ type: 'alert.triggered', data: { pad: 'x'.repeat(40_000) } });
    const id = await h.post(hook.id, hook.secret, big);
    const before = (await loadEventRecord(h.tenantId, id))?.record;
    expect(before?.payloadBlob).toBeTruthy();

    await erasePayloadOnRequest(erasureDeps(), h.caller, id, 'corr-erase');
    const after = (await loadEventRecord(h.tenantId, id))?.record;
    expect(after?.payloadErasedAt).toBeTruthy();
    expect(after?.payloadBlob).toBeUndefined();
    expect(after?.payloadText).toBeUndefined();
    expect(after?.normalized).toBeUndefined();
    expect(after?.payloadPreview).toBe('');
    // Metadata and counts stay.
    expect(after).toMatchObject({
      source: before?.source,
      status: before?.status,
      payloadBytes: before?.payloadBytes,
      receivedAt: before?.receivedAt,
      webhookId: hook.id,
    });
    expect(await payloadStore().get(before?.payloadBlob ?? '')).toBeUndefined();

    await erasePayloadOnRequest(erasureDeps(), h.caller, id, 'corr-erase-again');
    expect((await loadEventRecord(h.tenantId, id))?.record.payloadErasedAt).toBe(after?.payloadErasedAt);
    expect((await auditActions(h.tenantId)).filter((a) => a === 'event.payload_erased')).toHaveLength(1);

    const replay = replayEvent(replayDeps(), h.caller, id, { force: true, trigger: 'manual', correlationId: 'c' });
    await expect(replay).rejects.toBeInstanceOf(DomainError);
    await expect(replay).rejects.toMatchObject({ code: 'payload_erased' });
  });

  it('an inline payload is erased the same way; an unknown or foreign event is 404 and changes nothing', async () => {
    ownClock();
    const h = harness();
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'corr');
    const id = await h.post(hook.id, hook.secret, '{"type":"alert.triggered","secret":"s3"}');
    expect((await loadEventRecord(h.tenantId, id))?.record.payloadText).toContain('s3');

    const other: Principal = { tenantId: `tn-${randomUUID().slice(0, 8)}`, keyId: 'k', scopes: ['admin'] };
    await expect(erasePayloadOnRequest(erasureDeps(), other, id, 'c')).rejects.toMatchObject({ code: 'not_found' });
    await expect(erasePayloadOnRequest(erasureDeps(), h.caller, 'not-an-id', 'c')).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await loadEventRecord(h.tenantId, id))?.record.payloadText).toContain('s3');

    await erasePayloadOnRequest(erasureDeps(), h.caller, id, 'c');
    const after = (await loadEventRecord(h.tenantId, id))?.record;
    expect(after?.payloadText).toBeUndefined();
    expect(JSON.stringify(after)).not.toContain('s3');
  });
});

describe('payload retention per tenant', () => {
  it('the setting is at most the platform maximum (422 payload_retention_too_long, nothing changed) and audited', async () => {
    ownClock();
    const tenant = await createTenant(tenantDeps(), operator, { name: 'Retention MSP' }, 'corr');
    expect(tenant.payloadRetentionDays).toBeNull();
    await expect(
      setPayloadRetention(tenantDeps(), operator, tenant.id, { days: 31, maximumDays: 30 }, 'c'),
    ).rejects.toMatchObject({ code: 'payload_retention_too_long' });
    const set = await setPayloadRetention(tenantDeps(), operator, tenant.id, { days: 7, maximumDays: 30 }, 'c');
    expect(set.payloadRetentionDays).toBe(7);
    await setPayloadRetention(tenantDeps(), operator, tenant.id, { days: 7, maximumDays: 30 }, 'c');
    expect((await auditActions(tenant.id)).filter((a) => a === 'tenant.payload_retention_set')).toHaveLength(1);
    const cleared = await setPayloadRetention(tenantDeps(), operator, tenant.id, { days: null, maximumDays: 30 }, 'c');
    expect(cleared.payloadRetentionDays).toBeNull();
    await expect(
      setPayloadRetention(tenantDeps(), operator, '0'.repeat(26), { days: 3, maximumDays: 30 }, 'c'),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('housekeeping erases payloads whose day is past the tenant window, keeps newer ones and other tenants', async () => {
    const clock = ownClock();
    const h = harness();
    const other = harness();
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'corr');
    const otherHook = await createWebhook(other.webhookDeps, other.caller, {}, 'corr');
    const oldId = await h.post(hook.id, hook.secret, '{"type":"a.old"}');
    const otherOldId = await other.post(otherHook.id, otherHook.secret, '{"type":"a.other"}');
    clock.advance(3 * DAY);
    const newId = await h.post(hook.id, hook.secret, '{"type":"a.new"}');

    const tenants = [{ tenantId: h.tenantId, days: 2 }];
    // Day 0 is wholly past a 2-day window only once day 3 has begun: it is now.
    expect(await erasePayloadsPastTenantWindows({ tenants, platformDays: 30 })).toEqual({ erased: 1, more: false });
    expect((await loadEventRecord(h.tenantId, oldId))?.record.payloadErasedAt).toBeTruthy();
    expect((await loadEventRecord(h.tenantId, newId))?.record.payloadText).toBe('{"type":"a.new"}');
    expect((await loadEventRecord(other.tenantId, otherOldId))?.record.payloadText).toBe('{"type":"a.other"}');
    // A second run finds nothing left to do.
    expect(await erasePayloadsPastTenantWindows({ tenants, platformDays: 30 })).toEqual({ erased: 0, more: false });
    // A window no shorter than the platform's erases nothing (the event retention deletes whole events).
    clock.advance(5 * DAY);
    expect(
      await erasePayloadsPastTenantWindows({ tenants: [{ tenantId: h.tenantId, days: 30 }], platformDays: 30 }),
    ).toEqual({ erased: 0, more: false });
    expect((await loadEventRecord(h.tenantId, newId))?.record.payloadErasedAt).toBeUndefined();
  });
});
