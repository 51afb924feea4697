import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Counters } from '../../shared/analytics/counters';
import { counterTables } from '../../shared/analytics/tables';
import { installClock, ManualClock } from '../../shared/clock';
import { changeDelivery, insertDelivery, listDeliveries } from '../../shared/outbound/deliveries';
import type { OutboundDeps } from '../../shared/outbound/deps';
import {
  DELIVERY_KEYS_FROM,
  type DeliveryRecord,
  dayOf,
  dayPartition,
  deliveryKeyRowKey,
  indexPartition,
} from '../../shared/outbound/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { newestFirstId } from '../../shared/storage/keys';
import { outboundDeps } from '../support/outbound-deps';

/**
 * The delivery index beside the delivery (shared/outbound/deliveries.ts): the row and its index
 * rows are written, and a status moves, in one transaction on the delivery's partition; deliveries
 * written before that change keep their index in `deliveryindex`, and lists read both.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const counters = new Counters(counterTables(account));

function deps(): OutboundDeps {
  return outboundDeps(account, counters);
}

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
});

function record(subscriptionId: string, at: number): DeliveryRecord {
  const iso = new Date(at).toISOString();
  return {
    subscriptionId,
    eventId: newestFirstId(at),
    eventType: 'ticket.created',
    status: 'pending',
    createdAt: iso,
    updatedAt: iso,
    attemptCount: 0,
    automaticAttempts: 0,
  };
}

/** The RowKeys of a delivery's partition from `~` on: its index rows. */
async function keyRows(d: OutboundDeps, tenantId: string, id: string): Promise<string[]> {
  const rows: string[] = [];
  for await (const row of d.tables.deliveryRows.iterate(dayPartition(tenantId, id), { rowKeyFrom: DELIVERY_KEYS_FROM }))
    if (row.rowKey.endsWith(id)) rows.push(row.rowKey);
  return rows.sort();
}

describe('the delivery index beside the delivery', () => {
  it('a delivery is written with its three index rows, and a status change moves its status row with it', async () => {
    const d = deps();
    const tenantId = `t-${randomBytes(5).toString('hex')}`;
    const id = newestFirstId();
    await insertDelivery(d, tenantId, id, record('sub-1', Date.now()));
    expect(await keyRows(d, tenantId, id)).toEqual(
      [
        deliveryKeyRowKey('status', 'pending', id),
        deliveryKeyRowKey('sub', 'sub-1', id),
        deliveryKeyRowKey('type', 'ticket.created', id),
      ].sort(),
    );
    // The lease's kind of change (same status): the row only.
    await changeDelivery(d, tenantId, id, (c) => ({ ...c, attemptCount: 1 }));
    expect(await keyRows(d, tenantId, id)).toContain(deliveryKeyRowKey('status', 'pending', id));
    const changed = await changeDelivery(d, tenantId, id, (c) => ({ ...c, status: 'succeeded' }));
    expect(changed?.value.status).toBe('succeeded');
    // `succeeded` has no index row (most of a day's deliveries): the pending key goes, none comes.
    expect(await keyRows(d, tenantId, id)).toEqual(
      [deliveryKeyRowKey('sub', 'sub-1', id), deliveryKeyRowKey('type', 'ticket.created', id)].sort(),
    );
    // Listed by status all the same: the day's rows are read with the status as a filter.
    expect((await listDeliveries(d, tenantId, { limit: 10, status: 'succeeded' })).items.map((x) => x.id)).toEqual([
      id,
    ]);
    expect((await listDeliveries(d, tenantId, { limit: 10, status: 'pending' })).items).toEqual([]);
    expect((await changeDelivery(d, tenantId, id, (c) => ({ ...c, status: 'failed' })))?.value.status).toBe('failed');
    expect(await keyRows(d, tenantId, id)).toContain(deliveryKeyRowKey('status', 'failed', id));
    // A status row that went missing does not wedge the delivery: the change goes through without it.
    await d.tables.deliveryRows.delete(dayPartition(tenantId, id), deliveryKeyRowKey('status', 'failed', id));
    expect((await changeDelivery(d, tenantId, id, (c) => ({ ...c, status: 'retrying' })))?.value.status).toBe(
      'retrying',
    );
    expect(await keyRows(d, tenantId, id)).toContain(deliveryKeyRowKey('status', 'retrying', id));
  });

  it('an unfiled delivery (inserted for an attempt in the publishing process) has no status row until any change files it', async () => {
    const d = deps();
    const tenantId = `t-${randomBytes(5).toString('hex')}`;
    const id = newestFirstId();
    await insertDelivery(d, tenantId, id, { ...record('sub-2', Date.now()), unfiled: true });
    const indexOnly = [deliveryKeyRowKey('sub', 'sub-2', id), deliveryKeyRowKey('type', 'ticket.created', id)].sort();
    expect(await keyRows(d, tenantId, id)).toEqual(indexOnly);
    // A change that keeps the status files it: the key of `pending` comes, the flag goes.
    const filed = await changeDelivery(d, tenantId, id, (c) => ({ ...c, throttled: 1 }));
    expect(filed?.value.unfiled).toBeUndefined();
    expect(await keyRows(d, tenantId, id)).toEqual([...indexOnly, deliveryKeyRowKey('status', 'pending', id)].sort());
    expect((await listDeliveries(d, tenantId, { limit: 10, status: 'pending' })).items.map((x) => x.id)).toEqual([id]);
    // Unfiled into `retrying` (an inline attempt that failed): that key only, nothing to remove.
    const other = newestFirstId();
    await insertDelivery(d, tenantId, other, { ...record('sub-2', Date.now()), unfiled: true });
    await changeDelivery(d, tenantId, other, (c) => ({ ...c, status: 'retrying' }));
    expect(await keyRows(d, tenantId, other)).toContain(deliveryKeyRowKey('status', 'retrying', other));
    expect(await keyRows(d, tenantId, other)).not.toContain(deliveryKeyRowKey('status', 'pending', other));
  });

  it('deliveries from before the change keep their index in deliveryindex: listed after the newer ones, paged across both, and moved there on a status change', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 10, 9));
    restoreClock = installClock(clock);
    const d = deps();
    const tenantId = `t-${randomBytes(5).toString('hex')}`;
    // Two deliveries as the old code wrote them: index rows in `deliveryindex`, no `keys` flag.
    const legacy: string[] = [];
    for (let i = 0; i < 2; i++) {
      const at = clock.now();
      const id = newestFirstId(at);
      const r = record('sub-9', at);
      const day = dayOf(id);
      await d.tables.index.upsert(indexPartition(tenantId, 'sub', 'sub-9', day), id, { at: r.createdAt });
      await d.tables.index.upsert(indexPartition(tenantId, 'type', r.eventType, day), id, { at: r.createdAt });
      await d.tables.index.upsert(indexPartition(tenantId, 'status', 'pending', day), id, { at: r.createdAt });
      await d.tables.deliveries.insert(dayPartition(tenantId, id), id, r);
      legacy.push(id);
      clock.advance(60_000);
    }
    // Two written now, the same day.
    const fresh: string[] = [];
    for (let i = 0; i < 2; i++) {
      const id = newestFirstId(clock.now());
      await insertDelivery(d, tenantId, id, record('sub-9', clock.now()));
      fresh.push(id);
      clock.advance(60_000);
    }
    const newestFirst = [...fresh].reverse().concat([...legacy].reverse());
    for (const filter of [
      { subscriptionId: 'sub-9' },
      { status: 'pending' as const },
      { eventType: 'ticket.created' },
      {},
    ]) {
      expect((await listDeliveries(d, tenantId, { limit: 10, ...filter })).items.map((x) => x.id)).toEqual(newestFirst);
      // One at a time: the cursor carries the list from the new index rows into the old ones.
      const paged: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 6; page++) {
        const listed = await listDeliveries(d, tenantId, { limit: 1, ...filter, ...(cursor ? { cursor } : {}) });
        paged.push(...listed.items.map((x) => x.id));
        if (!listed.nextCursor) break;
        cursor = listed.nextCursor;
      }
      expect(paged).toEqual(newestFirst);
    }
    // An old delivery changes status the old way: its status row moves within `deliveryindex`.
    const old = legacy[0]!;
    await changeDelivery(d, tenantId, old, (c) => ({ ...c, status: 'failed' }));
    const day = dayOf(old);
    expect(await d.tables.index.get(indexPartition(tenantId, 'status', 'failed', day), old)).toBeDefined();
    expect(await d.tables.index.get(indexPartition(tenantId, 'status', 'pending', day), old)).toBeUndefined();
    expect((await listDeliveries(d, tenantId, { limit: 10, status: 'failed' })).items.map((x) => x.id)).toEqual([old]);
  });
});
