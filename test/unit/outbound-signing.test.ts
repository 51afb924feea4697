import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSigningSecret, isSigningSecret, signDelivery } from '../../shared/outbound/signing';

/** Signatures checked by the standardwebhooks package a receiver would use, and by a plain HMAC. */
const body = JSON.stringify({ type: 'ticket.created', eventId: 'E1', data: { ticketId: 'T1', title: 'x' } });

function headersFor(secrets: [string, ...string[]], timestampMs = Date.now()) {
  return signDelivery({ id: 'msg_D1', timestampMs, body, secrets });
}

describe('outbound signing', () => {
  it('secrets are whsec_ + base64 of 32 random bytes, different every time', () => {
    const a = generateSigningSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(isSigningSecret(a)).toBe(true);
    expect(generateSigningSecret()).not.toBe(a);
  });

  it('a standardwebhooks receiver accepts the delivery', () => {
    const secret = generateSigningSecret();
    const h = headersFor([secret]);
    expect(new Webhook(secret).verify(body, h)).toEqual(JSON.parse(body));
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('a tampered body, a wrong secret and a timestamp older than 5 minutes are refused', () => {
    const secret = generateSigningSecret();
    const h = headersFor([secret]);
    expect(() => new Webhook(secret).verify(body.replace('T1', 'T2'), h)).toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(body, h)).toThrow();
    const old = headersFor([secret], Date.now() - 6 * 60_000);
    expect(() => new Webhook(secret).verify(body, old)).toThrow(/timestamp/i);
  });

  it('during a rotation both signatures are sent: a receiver with only the old or only the new secret verifies', () => {
    const oldSecret = generateSigningSecret();
    const newSecret = generateSigningSecret();
    const h = headersFor([newSecret, oldSecret]);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(body, h)).toBeTruthy();
    expect(new Webhook(oldSecret).verify(body, h)).toBeTruthy();
    expect(() => new Webhook(generateSigningSecret()).verify(body, h)).toThrow();
  });

  it('X-Webhook-Signature is sha256=<hex HMAC of the raw body> keyed with the whole secret string', () => {
    const secret = generateSigningSecret();
    const expected = createHmac('sha256', secret).update(body).digest('hex');
    expect(headersFor([secret])['X-Webhook-Signature']).toBe(`sha256=${expected}`);
  });
});
