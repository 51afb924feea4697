import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/apikeys/principal';
import { auditTable } from '../../shared/audit/audit-log';
import { installClock, ManualClock } from '../../shared/clock';
import { routableTicketSchema, routingConfigBody } from '../../shared/routing/api-schemas';
import { putRoutingConfig, type RoutingDeps } from '../../shared/routing/config';
import { routeTicket } from '../../shared/routing/decisions';
import { purgeExpiredRoutingErrors } from '../../shared/routing/retention';
import { listRoutingErrors } from '../../shared/routing/routing-errors';
import { routingTables } from '../../shared/routing/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { escapeKey, timeBucket } from '../../shared/storage/keys';

/**
 * Routing errors age out (docs/routing.md, "Storage"): a whole day older than the retention is
 * deleted, found through `routingerrordays`; younger days stay; the run's limit stops it and the
 * next run goes on. The clock is a manual one in a year no other test writes to, so the day
 * partitions this test purges hold only its own tenants.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const deps: RoutingDeps = { tables: routingTables(account), audit: auditTable(account) };
const DAY_MS = 86_400_000;
let restore: (() => void) | undefined;

afterEach(() => {
  restore?.();
  restore = undefined;
});

/** A tenant whose config decides nothing (no rules, no default), so every ticket is a routing error. */
async function undecidingTenant(): Promise<Principal> {
  const caller: Principal = { tenantId: `rr-${randomUUID()}`, keyId: 'key-1', scopes: ['admin'] };
  const config = routingConfigBody.parse({ teams: [{ id: 'desk', name: 'Desk' }], defaultTeamId: null });
  await putRoutingConfig(deps, caller, config, '"0"', 'corr');
  return caller;
}

async function fail(caller: Principal, ticketId: string): Promise<void> {
  const ticket = { tenantId: caller.tenantId, ...routableTicketSchema.parse({ vendor: 'autotask', ticketId }) };
  expect(await routeTicket(deps, ticket, { source: 'webhook' })).toMatchObject({ outcome: 'unrouted' });
}

const ids = async (caller: Principal) =>
  (await listRoutingErrors(deps, caller.tenantId, { limit: 50 })).items.map((e) => e.ticketId);

describe('routing error retention (Azurite)', () => {
  it('deletes the errors of days older than the retention and keeps the younger ones', async () => {
    // A day in 2011 that no other test writes to (random, so a rerun on the same Azurite starts clean).
    const clock = new ManualClock(Date.UTC(2011, 2, 1) + Math.floor(Math.random() * 300) * DAY_MS);
    restore = installClock(clock);
    const a = await undecidingTenant();
    const b = await undecidingTenant();
    const oldDay = timeBucket(clock.now(), 'day');
    await fail(a, 'old-1');
    await fail(a, 'old-2');
    await fail(b, 'old-3');
    clock.advance(10 * DAY_MS);
    await fail(a, 'young-1');
    expect(await deps.tables.errorDays.get(oldDay, escapeKey(a.tenantId))).toBeDefined();

    // 30 days after the young errors: the old day (40 days back) is past a 30-day retention, the young one is not.
    clock.advance(30 * DAY_MS);
    const first = await purgeExpiredRoutingErrors(deps, { retentionDays: 30, limit: 2 });
    expect(first).toMatchObject({ errors: 2, more: true });
    const second = await purgeExpiredRoutingErrors(deps, { retentionDays: 30 });
    expect(second).toMatchObject({ errors: 1, more: false });
    expect(first.days + second.days).toBe(2);

    expect(await ids(a)).toEqual(['young-1']);
    expect(await ids(b)).toEqual([]);
    expect(await deps.tables.errorDays.get(oldDay, escapeKey(a.tenantId))).toBeUndefined();
    // A run with nothing due deletes nothing.
    expect(await purgeExpiredRoutingErrors(deps, { retentionDays: 30 })).toMatchObject({ errors: 0, more: false });
    expect(await ids(a)).toEqual(['young-1']);
  });
});
