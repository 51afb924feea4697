import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CachedPartitions } from '../../shared/outbound/cached-partitions';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import type { Stored } from '../../shared/storage/table-repository';

/**
 * The per-instance partition copies (shared/outbound/cached-partitions.ts) on the suite's Azurite:
 * callers that miss at the same moment share one read, and a read that a write overtook does not
 * leave its older rows behind as the instance's copy.
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const schema = z.object({ name: z.string() });
type Row = z.infer<typeof schema>;

/** Counts the reads that reach the table. */
class CountingPartitions extends CachedPartitions<Row> {
  lists = 0;
  gets = 0;
  override async *iterate(...args: Parameters<CachedPartitions<Row>['iterate']>): AsyncGenerator<Stored<Row>> {
    this.lists++;
    yield* super.iterate(...args);
  }
  override async get(pk: string, rk: string): Promise<Stored<Row> | undefined> {
    this.gets++;
    return super.get(pk, rk);
  }
}

function table(): CountingPartitions {
  return new CountingPartitions(account, `cachedparts${randomBytes(4).toString('hex')}`, schema);
}

describe('cached partitions', () => {
  it('ten callers missing at once share one list and one row read', async () => {
    const t = table();
    await t.insert('p1', 'a', { name: 'first' });
    await t.insert('p1', 'b', { name: 'second' });
    const lists = await Promise.all(Array.from({ length: 10 }, () => t.listCached('p1')));
    expect(lists.map((l) => l.map((r) => r.value.name))).toEqual(Array(10).fill(['first', 'second']));
    expect(t.lists).toBe(1);
    t.forget('p1');
    const rows = await Promise.all(Array.from({ length: 10 }, () => t.getCached('p1', 'a')));
    expect(rows.map((r) => r?.value.name)).toEqual(Array(10).fill('first'));
    expect(t.gets).toBe(1);
    // Then from the copy: no more reads.
    expect((await t.getCached('p1', 'a'))?.value.name).toBe('first');
    expect(t.gets).toBe(1);
  });

  it('a write while a list is under way: the list is not kept, the next caller reads the new rows', async () => {
    const t = table();
    await t.insert('p1', 'a', { name: 'before' });
    const listing = t.listCached('p1');
    await t.upsert('p1', 'a', { name: 'after' });
    await listing;
    expect((await t.listCached('p1')).map((r) => r.value.name)).toEqual(['after']);
    expect(t.lists).toBe(2);
  });

  it('a caller that knows a newer version than the shared read found reads its own', async () => {
    const t = table();
    const first = await t.insert('p1', 'a', { name: 'v1' });
    const writer = new CachedPartitions<Row>(account, t.tableName, schema);
    t.forget('p1');
    const shared = t.getCached('p1', 'a');
    // Another instance writes meanwhile; this caller was told of that version (as a message carries it).
    const second = await writer.replace('p1', 'a', { name: 'v2' }, first.etag!);
    const [older, known] = await Promise.all([shared, t.getCached('p1', 'a', second.etag)]);
    expect(older?.value.name === 'v1' || older?.value.name === 'v2').toBe(true);
    expect(known?.value.name).toBe('v2');
  });
});
