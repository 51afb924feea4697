import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../shared/app/services';
import { installClock, ManualClock } from '../../shared/clock';
import { DomainError } from '../../shared/errors/domain-error';
import { TenantInboundLimits } from '../../shared/inbound/tenant-limits';
import { installLocalSettings } from '../support/local-settings';
import { tableTrips } from '../support/table-trips';

/**
 * The per-tenant rate is admitted in memory and reconciled with the shared count in batches
 * (docs/pipeline.md, "Storage operations per event"): exact on one instance, over-admitting by at
 * most one slice per other instance, and a handful of storage round trips per minute instead of
 * two to three per delivery. Time moves on the virtual clock only.
 */
beforeAll(() => {
  installLocalSettings();
});

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

async function admitted(limits: TenantInboundLimits, tenantId: string, tries: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < tries; i++) {
    try {
      await limits.take(tenantId);
      ok++;
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'tenant_rate_exceeded') throw error;
    }
  }
  return ok;
}

/** Requests to the `ratelimits` table while `fn` runs. */
async function tableRequests(fn: () => Promise<void>): Promise<number> {
  return (await tableTrips(fn)).filter((trip) => trip.endsWith(' ratelimits')).length;
}

describe('per-tenant inbound rate, reconciled in batches', () => {
  it('admits exactly the limit on one instance, with a few round trips per slice instead of per delivery', async () => {
    restore = installClock(new ManualClock(Date.UTC(2026, 4, 1, 10, 0, 5)));
    const limits = new TenantInboundLimits(services().account, 100, undefined);
    const tenantId = `t-${randomUUID()}`;
    let ok = 0;
    const trips = await tableRequests(async () => {
      ok = await admitted(limits, tenantId, 150);
    });
    expect(ok).toBe(100);
    // Slice = 5: one reconcile (add + sum, at most four round trips) per five deliveries, and
    // each refused delivery re-reads only when its slice is full, which it never is: refusals add nothing.
    expect(trips).toBeLessThanOrEqual(4 * (100 / 5 + 1));
    expect(trips).toBeGreaterThan(0);
  });

  it('over-admits across two instances by at most one slice, and the next minute starts afresh', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 10, 0, 5));
    restore = installClock(clock);
    const a = new TenantInboundLimits(services().account, 100, undefined);
    const b = new TenantInboundLimits(services().account, 100, undefined);
    const tenantId = `t-${randomUUID()}`;
    let total = 0;
    for (let round = 0; round < 40; round++) {
      total += await admitted(a, tenantId, 3);
      total += await admitted(b, tenantId, 3);
    }
    expect(total).toBeGreaterThanOrEqual(100);
    expect(total).toBeLessThanOrEqual(100 + 5);
    clock.advance(60_000);
    expect(await admitted(a, tenantId, 1)).toBe(1);
  });
});
