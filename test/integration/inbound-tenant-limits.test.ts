import { createHmac, randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Transaction } from '../../shared/analytics/transactions';
import { services } from '../../shared/app/services';
import { installClock, ManualClock } from '../../shared/clock';
import { DomainError } from '../../shared/errors/domain-error';
import { receiveWebhook } from '../../shared/inbound/receive';
import { TenantInboundLimits } from '../../shared/inbound/tenant-limits';
import { createWebhook } from '../../shared/inbound/webhooks';
import { createLogger } from '../../shared/observability/logger';
import { installLocalSettings } from '../support/local-settings';
import { receiveHarness } from '../support/receive-harness';

/**
 * The per-tenant inbound limits at receive (docs/dashboard.md, codes 882 and 883): a rate per
 * minute and an optional daily quota, both 429 with Retry-After, each refusal counted as a failed
 * inbound_webhook transaction with its dashboard code. Time moves on the virtual clock only.
 */
beforeAll(() => {
  installLocalSettings();
});

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

const sha1 = (secret: string, text: string) => `sha1=${createHmac('sha1', secret).update(text).digest('base64')}`;
const body = () =>
  JSON.stringify({ Action: 'Create', Guid: randomUUID(), EntityType: 'Ticket', Id: 1, Fields: {}, SequenceNumber: 1 });

async function setup(
  rate: number,
  quota: number | undefined,
  ownQuota?: (tenantId: string) => Promise<number | undefined>,
) {
  const h = receiveHarness('autotask');
  const counted: Transaction[] = [];
  h.deps.limits = new TenantInboundLimits(services().account, rate, quota, ownQuota);
  h.deps.countRejection = async (tx) => {
    counted.push(tx);
  };
  const hook = await createWebhook(h.webhookDeps, h.caller, { integrationId: 'int1' }, 'c');
  const deliver = async (): Promise<number | DomainError> => {
    const text = body();
    try {
      const result = await receiveWebhook(h.deps, {
        webhookId: hook.id,
        headers: new Headers({ 'x-hook-signature': sha1(hook.secret, text) }),
        query: new URLSearchParams(),
        body: Buffer.from(text),
        declaredLength: text.length,
        correlationId: 'corr',
        log: createLogger(),
      });
      return result.status;
    } catch (error) {
      if (error instanceof DomainError) return error;
      throw error;
    }
  };
  return { h, hook, counted, deliver };
}

const codeOf = (r: number | DomainError) => (typeof r === 'number' ? r : r.code);

describe('per-tenant inbound limits', () => {
  it('refuses deliveries over the rate per minute with 429 tenant_rate_exceeded and Retry-After, counted as 882', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 10, 0, 30));
    restore = installClock(clock);
    const { counted, deliver, hook, h } = await setup(3, undefined);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await deliver());
    expect(results.map(codeOf)).toEqual([202, 202, 202, 'tenant_rate_exceeded']);
    const refused = results[3] as DomainError;
    expect(refused.retryAfterSeconds).toBe(30); // the minute's window ends at 10:01:00
    expect(refused.details).toMatchObject({ limit: 3, catalogCode: '882' });
    expect(h.sent).toHaveLength(3); // the refused delivery enqueued nothing
    expect(counted).toEqual([
      expect.objectContaining({
        type: 'inbound_webhook',
        integrationId: hook.id,
        ok: false,
        code: '882',
        service: 'receive',
      }),
    ]);
    clock.advance(30_000);
    expect(codeOf(await deliver())).toBe(202);
  });

  it('refuses deliveries over the daily quota with tenant_quota_exceeded until midnight UTC, counted as 883', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 23, 0, 0));
    restore = installClock(clock);
    const { counted, deliver } = await setup(100, 2);
    expect([await deliver(), await deliver()].map(codeOf)).toEqual([202, 202]);
    const refused = await deliver();
    expect(codeOf(refused)).toBe('tenant_quota_exceeded');
    expect((refused as DomainError).retryAfterSeconds).toBe(3600);
    clock.advance(30 * 60_000);
    expect(codeOf(await deliver())).toBe('tenant_quota_exceeded');
    expect(counted.map((t) => t.code)).toEqual(['883', '883']);
    clock.set(Date.UTC(2026, 4, 2, 0, 0, 1));
    expect(codeOf(await deliver())).toBe(202);
  });

  it("uses the tenant's own daily quota over the deployment default, with Retry-After to midnight UTC", async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 22, 59, 59, 500));
    restore = installClock(clock);
    let own: number | undefined = 3;
    const { counted, deliver } = await setup(100, 1, async () => own);
    expect([await deliver(), await deliver(), await deliver()].map(codeOf)).toEqual([202, 202, 202]);
    const refused = (await deliver()) as DomainError;
    expect(codeOf(refused)).toBe('tenant_quota_exceeded');
    // 3600.5 s to midnight, rounded up to whole seconds.
    expect(refused.retryAfterSeconds).toBe(3601);
    expect(refused.message).toContain('daily quota of 3');
    expect(counted.map((t) => t.code)).toEqual(['883']);
    // The operator removes the tenant's own quota: the deployment default (1, long used up) applies.
    own = undefined;
    expect(codeOf(await deliver())).toBe('tenant_quota_exceeded');
    // Raised above today's count: deliveries go through again the same day.
    own = 10;
    expect(codeOf(await deliver())).toBe(202);
  });

  it('counts every other refusal at receive by its status, once', async () => {
    restore = installClock(new ManualClock(Date.UTC(2026, 4, 1, 12)));
    const { h, hook, counted } = await setup(100, undefined);
    const post = (headers: Record<string, string>, text: string) =>
      receiveWebhook(h.deps, {
        webhookId: hook.id,
        headers: new Headers(headers),
        query: new URLSearchParams(),
        body: Buffer.from(text),
        declaredLength: text.length,
        correlationId: 'corr',
        log: createLogger(),
      }).catch((e: unknown) => e);
    await post({ 'x-hook-signature': 'sha1=wrong' }, body());
    h.deps.maxBodyBytes = 1024;
    await post({}, 'x'.repeat(2000));
    expect(counted.map((t) => t.code)).toEqual(['401', '413']);
  });
});
