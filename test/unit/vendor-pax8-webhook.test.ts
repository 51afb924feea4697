import { describe, expect, it } from 'vitest';
import { verifyDelivery } from '../../shared/inbound/verify';
import { normalizePayload } from '../../shared/pipeline/validation/normalize';
import { pax8EventType } from '../../shared/vendors/pax8/webhook';
import { checkValue, loadSlice } from '../fakes/core/spec-check';

/**
 * Pax8 webhooks as Pax8 describes them (its Webhooks API, `WebhookPayload`): a static
 * `Authorization` value and a `webhookTopic`, no HMAC and no `type` (docs/vendor-fidelity.md).
 */
const secret = 'whsec_pax8-static-authorization-value';
const payload = {
  accountId: '0b7c1c2e-5d3a-4f7e-9d8c-1a2b3c4d5e6f',
  url: 'https://hub.example/api/hooks/wh_x',
  webhookId: '6f1f7e0a-2b3c-4d5e-8f90-a1b2c3d4e5f6',
  sentAt: '2026-05-01T10:00:00Z',
  webhookTopic: { id: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', topic: 'SUBSCRIPTION_CREATED', filters: [] },
  payloadData: { subscriptionId: 'sub-1', companyId: 'co-1' },
};
const body = new TextEncoder().encode(JSON.stringify(payload));
const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name.toLowerCase()] ?? null });
const verify = (values: Record<string, string>) =>
  verifyDelivery('pax8', headers(values), body, payload, [secret], Date.now(), 300);

describe('Pax8 webhook deliveries', () => {
  it('the sample is a WebhookPayload by Pax8’s own description', () => {
    expect(checkValue(loadSlice('pax8'), { $ref: '#/components/schemas/WebhookPayload' }, payload, 'body')).toEqual([]);
  });

  it('accepts the static Authorization secret and refuses a missing or wrong one', () => {
    expect(verify({ authorization: secret })).toMatchObject({ ok: true, scheme: 'static-authorization' });
    expect(verify({})).toMatchObject({ ok: false, code: 'signature_missing' });
    expect(verify({ authorization: 'Bearer nope' })).toMatchObject({ ok: false, code: 'signature_invalid' });
    expect(verify({ authorization: `${secret}, ${secret}` })).toMatchObject({ ok: false, code: 'signature_malformed' });
    // Another source never accepts a bare Authorization secret.
    expect(
      verifyDelivery('itglue', headers({ authorization: secret }), body, payload, [secret], Date.now(), 300),
    ).toMatchObject({ ok: false });
  });

  it('maps webhookTopic to an event type', () => {
    expect(pax8EventType('SUBSCRIPTION_CREATED')).toBe('pax8.subscription_created');
    expect(pax8EventType('subscription.updated')).toBe('pax8.subscription.updated');
    expect(pax8EventType('--')).toBe('pax8.event');
    const normalized = normalizePayload('pax8', payload, '2026-05-01T10:00:01Z');
    expect(normalized).toMatchObject({
      source: 'pax8',
      type: 'pax8.subscription_created',
      occurredAt: '2026-05-01T10:00:00.000Z',
      entities: { accountId: payload.accountId, webhookId: payload.webhookId },
    });
  });
});
