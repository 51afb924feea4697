import { createHmac, randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { loadEvent, loadEventPayload, loadEventRecord } from '../../shared/events/event-store';
import { groupFailures } from '../../shared/failures/analysis';
import { createWebhook, rotateWebhookSecret, setWebhookStatus } from '../../shared/inbound/webhooks';
import { installLocalSettings } from '../support/local-settings';
import { receiveHarness } from '../support/receive-harness';

/**
 * POST /api/hooks/{id} behind the HTTP edge, against Azurite: every verifier, the rejection codes
 * (each recorded, nothing enqueued), dedup, the blob for large bodies, and secret rotation.
 */

beforeAll(() => {
  installLocalSettings();
});

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
});

const harness = (vendor = 'autotask') => receiveHarness(vendor);

const sha1 = (secret: string, text: string) => `sha1=${createHmac('sha1', secret).update(text).digest('base64')}`;
const sha256 = (secret: string, text: string) => `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;
function standard(secret: string, id: string, ts: number, text: string) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${text}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` };
}

const autotaskBody = (guid: string, seq = 1) =>
  JSON.stringify({
    Action: 'Create',
    Guid: guid,
    EntityType: 'Ticket',
    Id: 42,
    Fields: { Title: 'Disk full on SRV01 — /var', Priority: 1 },
    EventTime: '2026-01-01T00:00:00Z',
    SequenceNumber: seq,
  });

describe('receive', () => {
  it('accepts a signed Autotask delivery (raw body), stores the event and sends one validation message; a redelivery is a duplicate', async () => {
    const h = harness('autotask');
    const hook = await createWebhook(h.webhookDeps, h.caller, { integrationId: 'int1' }, 'c');
    expect(hook.url).toBe(`https://hub.example.com/api/hooks/${hook.id}`);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = autotaskBody(randomUUID());
    const first = await h.post(hook.id, body, { 'x-hook-signature': sha1(hook.secret, body) });
    expect(first.status).toBe(202);
    const eventId = (first as { body: { eventId: string } }).body.eventId;
    expect(await loadEvent(h.tenantId, eventId)).toMatchObject({
      status: 'received',
      stage: 'validation',
      source: 'autotask',
      webhookId: hook.id,
      integrationId: 'int1',
      trigger: 'vendor',
      replayOf: null,
      rootEventId: eventId,
    });
    expect(await loadEventPayload(h.tenantId, eventId)).toEqual(JSON.parse(body));
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]).toMatchObject({
      queue: 'validation',
      body: { v: 1, tenantId: h.tenantId, eventId, stage: 'validation', step: 'main', attempt: 0 },
      options: { messageId: `${eventId}:validation:main:0`, correlationId: 'corr' },
    });

    const again = await h.post(hook.id, body, { 'x-hook-signature': sha1(hook.secret, body) });
    expect(again).toEqual({ status: 200, body: { duplicate: true, eventId } });
    // Still `received`: the re-send is dropped by duplicate detection, and repairs a lost first send.
    expect(h.sent.map((s) => s.options.messageId)).toEqual([
      `${eventId}:validation:main:0`,
      `${eventId}:validation:main:0`,
    ]);
  });

  it('verifies the escaped form Autotask also signs (\\/ and \\uXXXX) after the raw body', async () => {
    const h = harness('autotask');
    const hook = await createWebhook(h.webhookDeps, h.caller, { integrationId: 'int1' }, 'c');
    const body = autotaskBody(randomUUID());
    const escaped = body.replace(/\//g, '\\/').replace(/—/g, '\\u2014');
    const result = await h.post(hook.id, body, { 'x-hook-signature': sha1(hook.secret, escaped) });
    expect(result.status).toBe(202);
  });

  it('answers each rejection with its own code, records it as a validation failure and enqueues nothing', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const h = harness('halopsa');
    const hook = await createWebhook(h.webhookDeps, h.caller, { integrationId: 'int1' }, 'c');
    const body = JSON.stringify({ event: 'New Ticket', ticket: { id: 7, summary: 'x' } });
    const now = Math.floor(clock.now() / 1000);
    expect(await h.post('wh_doesnotexist000000000000', body)).toEqual({ status: 0, code: 'webhook_not_found' });
    expect(await h.post(hook.id, body)).toEqual({ status: 0, code: 'signature_missing' });
    expect(await h.post(hook.id, body, { 'x-webhook-signature': sha256('whsec_wrong', body) })).toEqual({
      status: 0,
      code: 'signature_invalid',
    });
    expect(await h.post(hook.id, body, standard(hook.secret, 'msg_1', now - 301, body))).toEqual({
      status: 0,
      code: 'timestamp_out_of_range',
    });
    expect(await h.post(hook.id, '{not json', { 'x-webhook-signature': sha256(hook.secret, '{not json') })).toEqual({
      status: 0,
      code: 'malformed_json',
    });
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
    expect(await h.post(hook.id, big)).toEqual({ status: 0, code: 'payload_too_large' });
    await setWebhookStatus(h.webhookDeps, h.caller, hook.id, 'disabled', 'c');
    expect(await h.post(hook.id, body, { 'x-webhook-signature': sha256(hook.secret, body) })).toEqual({
      status: 0,
      code: 'webhook_not_found',
    });
    expect(h.sent).toEqual([]);

    const summary = await groupFailures(h.tenantId, clock.now() - 60_000, clock.now() + 60_000);
    const codes = summary.groups.flatMap((g) => g.examples.map((e) => [g.stage, e.metadata['code']]));
    // Each rejection names the catalog entry of its refusal code, not of the error type it is grouped by.
    for (const example of summary.groups.flatMap((g) => g.examples)) {
      expect(example.catalogCode).toBe(example.metadata['code']);
    }
    expect(summary.total).toBe(4);
    expect(codes).toEqual(
      expect.arrayContaining([
        ['validation', 'signature_missing'],
        ['validation', 'signature_invalid'],
        ['validation', 'timestamp_out_of_range'],
        ['validation', 'malformed_json'],
      ]),
    );
  });

  it('accepts Standard Webhooks and sha256= signatures, dedups on webhook-id, and keeps a body over 32 KiB in a blob', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const h = harness('generic');
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'c');
    expect(hook.source).toBe('generic');
    const body = JSON.stringify({ type: 'alert.triggered', subject: 'disk_full', data: { pad: 'x'.repeat(40_000) } });
    const headers = standard(hook.secret, 'msg_abc', Math.floor(clock.now() / 1000), body);
    const first = (await h.post(hook.id, body, headers)) as { status: number; body: { eventId: string } };
    expect(first.status).toBe(202);
    const stored = await loadEventRecord(h.tenantId, first.body.eventId);
    expect(stored?.record.payloadText).toBeUndefined();
    expect(stored?.record.payloadBlob).toContain(first.body.eventId);
    expect(await loadEventPayload(h.tenantId, first.body.eventId)).toEqual(JSON.parse(body));
    // Same webhook-id, re-signed later: the same delivery.
    clock.advance(10_000);
    const again = await h.post(hook.id, body, standard(hook.secret, 'msg_abc', Math.floor(clock.now() / 1000), body));
    expect(again).toEqual({ status: 200, body: { duplicate: true, eventId: first.body.eventId } });

    const small = JSON.stringify({ type: 'ticket.created', subject: 'hello' });
    const viaSha = await h.post(hook.id, small, { 'x-webhook-signature': sha256(hook.secret, small) });
    expect(viaSha.status).toBe(202);
  });

  it('during a rotation grace period both secrets verify; with grace 0 only the new one', async () => {
    const h = harness('generic');
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'c');
    const rotated = await rotateWebhookSecret(h.webhookDeps, h.caller, hook.id, 3600, 'c');
    expect(rotated.previousSecretExpiresAt).not.toBeNull();
    const a = JSON.stringify({ type: 'ticket.created', subject: 'a' });
    const b = JSON.stringify({ type: 'ticket.created', subject: 'b' });
    expect((await h.post(hook.id, a, { 'x-webhook-signature': sha256(hook.secret, a) })).status).toBe(202);
    expect((await h.post(hook.id, b, { 'x-webhook-signature': sha256(rotated.secret, b) })).status).toBe(202);
    const again = await rotateWebhookSecret(h.webhookDeps, h.caller, hook.id, 0, 'c');
    const c = JSON.stringify({ type: 'ticket.created', subject: 'c' });
    expect(await h.post(hook.id, c, { 'x-webhook-signature': sha256(rotated.secret, c) })).toEqual({
      status: 0,
      code: 'signature_invalid',
    });
    expect((await h.post(hook.id, c, { 'x-webhook-signature': sha256(again.secret, c) })).status).toBe(202);
  });

  it('Graph: echoes validationToken as text, checks clientState on notifications', async () => {
    const h = harness('microsoft365');
    const hook = await createWebhook(h.webhookDeps, h.caller, { integrationId: 'm365' }, 'c');
    expect(await h.post(hook.id, '', {}, 'validationToken=abc%20123')).toEqual({ status: 200, text: 'abc 123' });
    const note = (clientState: string) =>
      JSON.stringify({ value: [{ subscriptionId: 's1', changeType: 'updated', resource: 'users/u1', clientState }] });
    expect(await h.post(hook.id, note('nope'))).toEqual({ status: 0, code: 'client_state_mismatch' });
    expect((await h.post(hook.id, note(hook.secret))).status).toBe(202);
    expect(h.sent).toHaveLength(1);
  });
});
