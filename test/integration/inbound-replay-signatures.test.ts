import { createHmac, randomInt, randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installClock, ManualClock } from '../../shared/clock';
import { loadEventPayloadText, loadEventRecord } from '../../shared/events/event-store';
import { purgeExpiredEvents } from '../../shared/inbound/retention';
import { createWebhook } from '../../shared/inbound/webhooks';
import { installLocalSettings } from '../support/local-settings';
import { ownYearStart } from '../support/own-year';
import { receiveHarness } from '../support/receive-harness';

/**
 * Receive against Azurite: a captured delivery cannot become a second event (dedup on what the
 * signature covers, never on an unsigned header; HMACs over the raw bytes), the replay window that
 * gives the schemes without a timestamp, malformed signature headers refused as
 * `signature_malformed`, and no webhook secret in anything stored (docs/webhooks-receiving.md).
 */
beforeAll(() => {
  installLocalSettings();
});

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
});

const DAY = 86_400_000;
type Answer = { status: number; body?: { eventId?: string; duplicate?: boolean }; code?: string };

const hmacHex = (secret: string, bytes: Buffer | string) => createHmac('sha256', secret).update(bytes).digest('hex');
const hmacB64 = (algo: 'sha1' | 'sha256', key: string | Buffer, bytes: Buffer | string) =>
  createHmac(algo, key).update(bytes).digest('base64');
const swKey = (secret: string) => Buffer.from(secret.slice('whsec_'.length), 'base64');

/** A body whose bytes are not valid UTF-8: 0xFF inside a JSON string. */
function bodyWithFF(subject: string): Buffer {
  return Buffer.concat([
    Buffer.from(`{"type":"alert.triggered","subject":"${subject} `),
    Buffer.from([0xff]),
    Buffer.from('"}'),
  ]);
}

/** The same body with its 0xFF byte replaced by U+FFFD (EF BF BD): it decodes to the same text. */
const withReplacementChar = (body: Buffer) =>
  Buffer.from(body.toString('latin1').replace('\u00ff', '\u00ef\u00bf\u00bd'), 'latin1');

describe('a captured sha256= delivery is one event', () => {
  it('resent with another X-Webhook-Id, with none, or re-encoded (0xFF → U+FFFD): no second event', async () => {
    const h = receiveHarness('datto-rmm');
    const hook = await createWebhook(h.webhookDeps, h.caller, { integrationId: 'rmm' }, 'c');
    const body = bodyWithFF(`capture ${randomUUID()}`);
    const signature = `sha256=${hmacHex(hook.secret, body)}`;
    const first = (await h.post(hook.id, body, { 'x-webhook-signature': signature, 'x-webhook-id': 'd-1' })) as Answer;
    expect(first.status).toBe(202);
    const eventId = first.body!.eventId!;
    const duplicate = { status: 200, body: { duplicate: true, eventId } };
    const resends: Array<Record<string, string>> = [
      { 'x-webhook-signature': signature, 'x-webhook-id': 'd-2' },
      { 'x-webhook-signature': signature, 'x-webhook-id': randomUUID() },
      { 'x-webhook-signature': signature },
    ];
    for (const headers of resends) {
      expect(await h.post(hook.id, body, headers)).toEqual(duplicate);
    }
    // Before, the HMAC covered the lossily decoded text, so these bytes verified and hashed anew.
    const reEncoded = withReplacementChar(body);
    expect(reEncoded.toString('utf8')).toBe(body.toString('utf8'));
    expect(await h.post(hook.id, reEncoded, { 'x-webhook-signature': signature, 'x-webhook-id': 'd-3' })).toEqual({
      status: 0,
      code: 'signature_invalid',
    });
    // One validation message: the duplicates re-send the same message id (the event is still `received`).
    expect(new Set(h.sent.map((s) => s.options.messageId))).toEqual(new Set([`${eventId}:validation:main:0`]));
  });

  it('two different bodies are two events whatever X-Webhook-Id says', async () => {
    const h = receiveHarness('generic');
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'c');
    const a = JSON.stringify({ type: 'alert.triggered', subject: 'a' });
    const b = JSON.stringify({ type: 'alert.triggered', subject: 'b' });
    const ra = (await h.post(hook.id, a, {
      'x-webhook-signature': `sha256=${hmacHex(hook.secret, a)}`,
      'x-webhook-id': 'same',
    })) as Answer;
    const rb = (await h.post(hook.id, b, {
      'x-webhook-signature': `sha256=${hmacHex(hook.secret, b)}`,
      'x-webhook-id': 'same',
    })) as Answer;
    expect([ra.status, rb.status]).toEqual([202, 202]);
    expect(ra.body!.eventId).not.toBe(rb.body!.eventId);
  });

  it('the replay window is the retention: a capture re-sent before its event is purged is a duplicate, after it a new event', async () => {
    const clock = new ManualClock(ownYearStart('inbound-replay-signatures'));
    restoreClock = installClock(clock);
    const h = receiveHarness('generic');
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'c');
    const body = JSON.stringify({ type: 'alert.triggered', subject: `window ${randomUUID()}` });
    const headers = { 'x-webhook-signature': `sha256=${hmacHex(hook.secret, body)}` };
    const first = (await h.post(hook.id, body, headers)) as Answer;
    expect(first.status).toBe(202);
    clock.advance(30 * DAY);
    await purgeExpiredEvents({ retentionDays: 30 });
    expect(await h.post(hook.id, body, { ...headers, 'x-webhook-id': 'late' })).toMatchObject({
      status: 200,
      body: { duplicate: true, eventId: first.body!.eventId },
    });
    clock.advance(DAY);
    expect(await purgeExpiredEvents({ retentionDays: 30 })).toMatchObject({ events: 1 });
    const afterWindow = (await h.post(hook.id, body, headers)) as Answer;
    expect(afterWindow.status).toBe(202);
    expect(afterWindow.body!.eventId).not.toBe(first.body!.eventId);
  });
});

describe('every scheme dedups on what it signs', () => {
  it('Autotask: a body and its escaped twin (one signature covers both) are one delivery; 0xFF → U+FFFD fails', async () => {
    const h = receiveHarness('autotask');
    const hook = await createWebhook(h.webhookDeps, h.caller, { integrationId: 'at' }, 'c');
    // No Guid/SequenceNumber: dedup falls back to the signed bytes.
    const raw = JSON.stringify({
      Action: 'Create',
      EntityType: 'Ticket',
      Id: 42,
      Fields: { Title: `a/b — ${randomUUID()}` },
    });
    const escaped = raw.replace(/\//g, '\\/').replace(/—/g, '\\u2014');
    const signature = `sha1=${hmacB64('sha1', hook.secret, escaped)}`;
    const first = (await h.post(hook.id, raw, { 'x-hook-signature': signature })) as Answer;
    expect(first.status).toBe(202);
    expect(await h.post(hook.id, escaped, { 'x-hook-signature': signature })).toEqual({
      status: 200,
      body: { duplicate: true, eventId: first.body!.eventId },
    });

    const ff = Buffer.concat([Buffer.from(raw.slice(0, -3)), Buffer.from([0xff]), Buffer.from(raw.slice(-3))]);
    const ffSignature = `sha1=${hmacB64('sha1', hook.secret, ff)}`;
    expect(((await h.post(hook.id, ff, { 'x-hook-signature': ffSignature })) as Answer).status).toBe(202);
    expect(await h.post(hook.id, withReplacementChar(ff), { 'x-hook-signature': ffSignature })).toEqual({
      status: 0,
      code: 'signature_invalid',
    });
  });

  it('Standard Webhooks: the signed webhook-id is the key; another id with the captured signature fails', async () => {
    const clock = new ManualClock(Date.now());
    restoreClock = installClock(clock);
    const h = receiveHarness('generic');
    const hook = await createWebhook(h.webhookDeps, h.caller, {}, 'c');
    const body = JSON.stringify({ type: 'alert.triggered', subject: 'sw' });
    const ts = String(Math.floor(clock.now() / 1000));
    const sig = `v1,${hmacB64('sha256', swKey(hook.secret), `msg_1.${ts}.${body}`)}`;
    const first = (await h.post(hook.id, body, {
      'webhook-id': 'msg_1',
      'webhook-timestamp': ts,
      'webhook-signature': sig,
    })) as Answer;
    expect(first.status).toBe(202);
    expect(
      await h.post(hook.id, body, { 'webhook-id': 'msg_2', 'webhook-timestamp': ts, 'webhook-signature': sig }),
    ).toEqual({ status: 0, code: 'signature_invalid' });
    expect(
      await h.post(hook.id, body, { 'webhook-id': 'msg_1', 'webhook-timestamp': ts, 'webhook-signature': sig }),
    ).toEqual({ status: 200, body: { duplicate: true, eventId: first.body!.eventId } });
  });

  it('Graph and Halo Basic (nothing signed): a re-spaced or re-ordered capture is the same delivery', async () => {
    const g = receiveHarness('microsoft365');
    const graphHook = await createWebhook(g.webhookDeps, g.caller, { integrationId: 'm365' }, 'c');
    const item = {
      subscriptionId: randomUUID(),
      changeType: 'updated',
      resource: 'users/u1',
      clientState: graphHook.secret,
    };
    const first = (await g.post(graphHook.id, JSON.stringify({ value: [item] }))) as Answer;
    expect(first.status).toBe(202);
    const { clientState, ...rest } = item;
    const reordered = JSON.stringify({ value: [{ clientState, ...rest }] }, null, 2);
    expect(await g.post(graphHook.id, reordered)).toEqual({
      status: 200,
      body: { duplicate: true, eventId: first.body!.eventId },
    });

    const halo = receiveHarness('halopsa');
    const haloHook = await createWebhook(halo.webhookDeps, halo.caller, { integrationId: 'halo' }, 'c');
    const basic = { authorization: `Basic ${Buffer.from(`hub:${haloHook.secret}`).toString('base64')}` };
    const ticket = { event: 'New Ticket', ticket: { id: randomInt(1, 1e9), summary: 'x' } };
    const one = (await halo.post(haloHook.id, JSON.stringify(ticket), basic)) as Answer;
    expect(one.status).toBe(202);
    expect(
      await halo.post(haloHook.id, ` ${JSON.stringify({ ticket: ticket.ticket, event: ticket.event })}\n`, basic),
    ).toEqual({
      status: 200,
      body: { duplicate: true, eventId: one.body!.eventId },
    });
  });
});

describe('malformed signatures are refused (401 signature_malformed), not tolerated', () => {
  it('junk after base64 padding, wrong lengths, Basic without a colon, duplicated headers', async () => {
    const at = receiveHarness('autotask');
    const atHook = await createWebhook(at.webhookDeps, at.caller, { integrationId: 'at' }, 'c');
    const atBody = JSON.stringify({
      Action: 'Create',
      EntityType: 'Ticket',
      Id: 1,
      Guid: randomUUID(),
      SequenceNumber: 1,
    });
    const atSig = hmacB64('sha1', atHook.secret, atBody);
    const malformed = { status: 0, code: 'signature_malformed' };
    for (const header of [
      `sha1=${atSig}junk`,
      `sha1=${atSig}AAAA`,
      `sha1=${atSig.slice(0, -1)}`,
      `sha1=${hmacB64('sha256', atHook.secret, atBody)}`,
      `sha1=${atSig} sha1=${atSig}`,
    ]) {
      expect(await at.post(atHook.id, atBody, { 'x-hook-signature': header }), header).toEqual(malformed);
    }
    const twice = new Headers();
    twice.append('x-hook-signature', `sha1=${atSig}`);
    twice.append('x-hook-signature', `sha1=${atSig}`);
    expect(await at.post(atHook.id, atBody, Object.fromEntries(twice))).toEqual(malformed);
    expect(((await at.post(atHook.id, atBody, { 'x-hook-signature': `sha1=${atSig}` })) as Answer).status).toBe(202);

    const gen = receiveHarness('generic');
    const genHook = await createWebhook(gen.webhookDeps, gen.caller, {}, 'c');
    const body = JSON.stringify({ type: 'alert.triggered', subject: randomUUID() });
    const hex = hmacHex(genHook.secret, body);
    for (const header of [
      `sha256=${hex.slice(0, 62)}`,
      `sha256=${hex}00`,
      `sha256=${hex}, sha256=${hex}`,
      `sha256=${hex.slice(0, 63)}g`,
    ]) {
      expect(await gen.post(genHook.id, body, { 'x-webhook-signature': header }), header).toEqual(malformed);
    }
    const ts = String(Math.floor(Date.now() / 1000));
    const v1 = hmacB64('sha256', swKey(genHook.secret), `m1.${ts}.${body}`);
    for (const signature of [`v1,${v1}junk`, `v1,${v1}, v1,${v1}`, `v1,${v1.slice(0, -4)}`, 'v1,']) {
      expect(
        await gen.post(genHook.id, body, {
          'webhook-id': 'm1',
          'webhook-timestamp': ts,
          'webhook-signature': signature,
        }),
        signature,
      ).toEqual(malformed);
    }
    expect(
      await gen.post(genHook.id, body, {
        'webhook-id': 'm1',
        'webhook-timestamp': `${ts}, ${ts}`,
        'webhook-signature': `v1,${v1}`,
      }),
    ).toEqual(malformed);
    // Other versions are skipped, several v1 entries are fine.
    expect(
      (
        (await gen.post(genHook.id, body, {
          'webhook-id': 'm1',
          'webhook-timestamp': ts,
          'webhook-signature': `v1a,c29tZXRoaW5n v1,${Buffer.alloc(32).toString('base64')} v1,${v1}`,
        })) as Answer
      ).status,
    ).toBe(202);

    const halo = receiveHarness('halopsa');
    const haloHook = await createWebhook(halo.webhookDeps, halo.caller, { integrationId: 'halo' }, 'c');
    const hbody = JSON.stringify({ ticket: { id: randomInt(1, 1e9) } });
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    for (const authorization of [
      `Basic ${b64(haloHook.secret)}`,
      `Basic ${b64(`hub:${haloHook.secret}`)}junk`,
      `Basic ${b64(`hub:${haloHook.secret}`)}, Basic ${b64(`hub:${haloHook.secret}`)}`,
    ]) {
      expect(await halo.post(haloHook.id, hbody, { authorization }), authorization).toEqual(malformed);
    }
    expect(
      ((await halo.post(haloHook.id, hbody, { authorization: `Basic ${b64(`hub:${haloHook.secret}`)}` })) as Answer)
        .status,
    ).toBe(202);
    // Nothing refused was enqueued.
    expect(at.sent).toHaveLength(1);
    expect(gen.sent).toHaveLength(1);
    expect(halo.sent).toHaveLength(1);
  });
});

describe('no webhook secret is stored', () => {
  it('Graph clientState and a secret a sender echoes in its body are masked in the row, preview and blob', async () => {
    const g = receiveHarness('microsoft365');
    const hook = await createWebhook(g.webhookDeps, g.caller, { integrationId: 'm365' }, 'c');
    const note = {
      value: [{ subscriptionId: randomUUID(), changeType: 'updated', resource: 'users/u1', clientState: hook.secret }],
    };
    const accepted = (await g.post(hook.id, JSON.stringify(note))) as Answer;
    expect(accepted.status).toBe(202);
    const row = (await loadEventRecord(g.tenantId, accepted.body!.eventId!))!.record;
    expect(JSON.stringify(row)).not.toContain(hook.secret.slice('whsec_'.length));
    expect(JSON.parse(row.payloadText!)).toEqual({ value: [{ ...note.value[0], clientState: '[redacted]' }] });

    const gen = receiveHarness('generic');
    const genHook = await createWebhook(gen.webhookDeps, gen.caller, {}, 'c');
    const bare = genHook.secret.slice('whsec_'.length);
    const echoed = JSON.stringify({
      type: 'alert.triggered',
      subject: `signed with ${genHook.secret}`,
      data: { pad: 'x'.repeat(40_000), [`key ${bare}`]: bare, nested: [{ s: `(${bare})` }] },
    });
    const big = (await gen.post(genHook.id, echoed, {
      'x-webhook-signature': `sha256=${hmacHex(genHook.secret, echoed)}`,
    })) as Answer;
    expect(big.status).toBe(202);
    const bigRow = (await loadEventRecord(gen.tenantId, big.body!.eventId!))!.record;
    expect(bigRow.payloadBlob).toBeTruthy();
    const stored = await loadEventPayloadText(gen.tenantId, big.body!.eventId!);
    for (const text of [stored, JSON.stringify(bigRow)]) expect(text).not.toContain(bare);
    expect(JSON.parse(stored)).toMatchObject({
      subject: 'signed with [redacted]',
      data: { 'key [redacted]': '[redacted]', nested: [{ s: '([redacted])' }] },
    });
  });
});
