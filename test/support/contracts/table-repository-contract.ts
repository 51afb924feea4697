import { odata } from '@azure/data-tables';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StorageAccount } from '../../../shared/storage/connection';
import {
  AlreadyExistsError,
  ConflictError,
  EntityTooLargeError,
  EntityValidationError,
  InvalidCursorError,
  InvalidKeyError,
  NotFoundError,
} from '../../../shared/storage/errors';
import { invertedTimeKey, newestFirstId, tenantPartition } from '../../../shared/storage/keys';
import { MAX_TRANSACTION_OPERATIONS, type Stored, TableRepository } from '../../../shared/storage/table-repository';

/**
 * What the hub relies on from Table Storage, through TableRepository: written once, run against
 * every backend (docs/testing.md, "Contract tests") — the in-memory account in the unit tier
 * (test/unit/storage-table-repository-memory.test.ts) and Azurite in the integration tier
 * (test/integration/storage-table-repository.test.ts). A case that passes on one and fails on the
 * other is a bug in the memory backend: Azure (here Azurite) is right.
 */
export function tableRepositoryContract(backend: string, connect: () => StorageAccount): void {
  let account: StorageAccount;
  beforeAll(() => {
    account = connect();
  });
  let seq = 0;
  /** Unique per test (and per run/worker): letters + digits, starts with a letter. */
  const tableName = (tag: string) => `t${tag}${process.pid}${Date.now().toString(36)}${seq++}`;

  const Event = z.object({
    source: z.string(),
    count: z.number().int(),
    big: z.number().int(),
    ratio: z.number(),
    ok: z.boolean(),
    note: z.string().nullable(),
    optional: z.string().optional(),
    at: z.date(),
    tags: z.array(z.string()),
    meta: z.object({ nested: z.object({ deep: z.array(z.number()) }), flag: z.boolean().nullable() }),
  });
  type Event = z.infer<typeof Event>;

  const Counter = z.object({ n: z.number().int() });
  const Row = z.object({ i: z.number().int(), kind: z.string() });

  function sample(): Event {
    return {
      source: 'autotask',
      count: 42,
      big: 2 ** 40 + 7, // past Int32: must come back as the same integer, not a rounded Double
      ratio: 0.25,
      ok: true,
      note: null,
      at: new Date('2026-01-31T12:34:56.789Z'),
      tags: ['a', 'b/c', "it's"],
      meta: { nested: { deep: [1, 2.5, -3] }, flag: null },
    };
  }

  describe(`TableRepository (${backend})`, () => {
    let events: TableRepository<Event>;
    beforeAll(() => {
      events = new TableRepository(account, tableName('ev'), Event);
    });

    it('round-trips nested values, nulls, dates and integers exactly; primitives are real properties', async () => {
      const value = sample();
      const written = await events.insert('tenant1', 'r1', value);
      expect(written.etag).toMatch(/\S/);
      const read = await events.get('tenant1', 'r1');
      expect(read?.value).toEqual(value);
      expect(Number.isInteger(read?.value.count)).toBe(true);
      expect(read?.value.big).toBe(2 ** 40 + 7);
      expect(read?.etag).toBe(written.etag);
      expect(read?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);

      // What Storage Explorer (and OData filters) see: flat typed properties, JSON for the rest.
      const raw = await account.table(events.tableName).getEntity<Record<string, unknown>>('tenant1', 'r1');
      expect(raw.source).toBe('autotask');
      expect(raw.count).toBe(42n); // Edm.Int64 (the SDK reads Int64 as bigint)
      expect(raw.ok).toBe(true);
      expect(raw.note).toBeUndefined();
      expect(raw.note__json).toBe('null');
      expect(JSON.parse(String(raw.meta__json))).toEqual(value.meta);
      expect('optional' in raw).toBe(false);
    });

    it('get of a missing row is undefined; delete reports whether it removed something', async () => {
      expect(await events.get('tenant1', 'nope')).toBeUndefined();
      await events.insert('tenant1', 'del', sample());
      expect(await events.delete('tenant1', 'del')).toBe(true);
      expect(await events.delete('tenant1', 'del')).toBe(false);
      expect(await events.get('tenant1', 'del')).toBeUndefined();
    });

    it('insert of a taken key → AlreadyExistsError and the first value stays', async () => {
      await events.insert('tenant1', 'dup', sample());
      await expect(events.insert('tenant1', 'dup', { ...sample(), source: 'halopsa' })).rejects.toBeInstanceOf(
        AlreadyExistsError,
      );
      expect((await events.get('tenant1', 'dup'))?.value.source).toBe('autotask');
    });

    it('a lost race on replace → ConflictError and the row keeps the winner', async () => {
      const repo = new TableRepository(account, tableName('race'), Counter);
      await repo.insert('p', 'c', { n: 0 });
      const a = await repo.get('p', 'c');
      const b = await repo.get('p', 'c');
      await repo.replace('p', 'c', { n: 1 }, a!.etag); // winner
      const loser = repo.replace('p', 'c', { n: 99 }, b!.etag);
      await expect(loser).rejects.toBeInstanceOf(ConflictError);
      await expect(loser).rejects.toMatchObject({ code: 'conflict' });
      expect((await repo.get('p', 'c'))?.value).toEqual({ n: 1 });
    });

    it('replace of a deleted row → NotFoundError; delete with a stale etag → ConflictError', async () => {
      const repo = new TableRepository(account, tableName('gone'), Counter);
      const first = await repo.insert('p', 'x', { n: 1 });
      const second = await repo.replace('p', 'x', { n: 2 }, first.etag);
      await expect(repo.delete('p', 'x', first.etag)).rejects.toBeInstanceOf(ConflictError);
      expect(await repo.delete('p', 'x', second.etag)).toBe(true);
      await expect(repo.replace('p', 'x', { n: 3 }, second.etag)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('upsert creates and overwrites unconditionally', async () => {
      const repo = new TableRepository(account, tableName('up'), Counter);
      await repo.upsert('p', 'u', { n: 1 });
      await repo.upsert('p', 'u', { n: 2 });
      expect((await repo.get('p', 'u'))?.value).toEqual({ n: 2 });
    });

    it('update() with N concurrent mutators incrementing a counter ends at exactly N', async () => {
      const repo = new TableRepository(account, tableName('cnt'), Counter);
      const n = 12;
      let calls = 0;
      const increment = (cur: { n: number } | undefined) => {
        calls += 1;
        return { n: (cur?.n ?? 0) + 1 };
      };
      // maxAttempts = N always suffices: a writer only loses when another one commits, at most N-1 times.
      const results = await Promise.all(
        Array.from({ length: n }, () => repo.update('p', 'counter', increment, { maxAttempts: n })),
      );
      expect(calls).toBeGreaterThan(n); // races really happened and were retried, not serialized away
      expect((await repo.get('p', 'counter'))?.value.n).toBe(n);
      // Each mutator committed exactly one increment: the values they wrote are 1..N, each once.
      expect(results.map((r) => r?.value.n).sort((x, y) => x! - y!)).toEqual(
        Array.from({ length: n }, (_, i) => i + 1),
      );
    });

    it('update() leaves the row alone when the mutator returns undefined', async () => {
      const repo = new TableRepository(account, tableName('noop'), Counter);
      expect(await repo.update('p', 'k', () => undefined)).toBeUndefined();
      expect(await repo.get('p', 'k')).toBeUndefined();
      const created = await repo.update('p', 'k', () => ({ n: 5 }));
      const kept = await repo.update('p', 'k', () => undefined);
      expect(kept?.etag).toBe(created?.etag);
      expect(kept?.value).toEqual({ n: 5 });
    });

    it('update() gives up with ConflictError when it keeps losing', async () => {
      const repo = new TableRepository(account, tableName('lose'), Counter);
      await repo.insert('p', 'k', { n: 0 });
      let calls = 0;
      const attempt = repo.update(
        'p',
        'k',
        async (cur) => {
          calls += 1;
          await repo.upsert('p', 'k', { n: 1000 + calls }); // someone else always writes in between
          return { n: (cur?.n ?? 0) + 1 };
        },
        { maxAttempts: 3 },
      );
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      expect(calls).toBe(3);
      expect((await repo.get('p', 'k'))?.value).toEqual({ n: 1003 });
    });

    it('validates on write and on read', async () => {
      const repo = new TableRepository(account, tableName('val'), Counter);
      await expect(repo.insert('p', 'bad', { n: 1.5 })).rejects.toBeInstanceOf(EntityValidationError);
      expect(await repo.get('p', 'bad')).toBeUndefined();
      // A row written by something else that no longer matches the schema fails loudly, naming the row.
      await account.table(repo.tableName).createEntity({ partitionKey: 'p', rowKey: 'drift', n: 'seven' });
      await expect(repo.get('p', 'drift')).rejects.toThrow(/p\/drift.*does not match the schema/s);
      await expect(repo.get('p', 'drift')).rejects.toMatchObject({ code: 'invalid_entity', direction: 'read' });
    });

    it('rejects forbidden keys, oversized strings and reserved property names before calling the service', async () => {
      const repo = new TableRepository(account, tableName('lim'), z.object({ s: z.string() }));
      await expect(repo.insert('a/b', 'r', { s: 'x' })).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(repo.get('p', 'r#1')).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(repo.insert('p', 'r', { s: 'x'.repeat(40_000) })).rejects.toBeInstanceOf(EntityTooLargeError);
      const reserved = new TableRepository(account, tableName('res'), z.object({ etag: z.string() }));
      await expect(reserved.insert('p', 'r', { etag: 'x' })).rejects.toBeInstanceOf(EntityValidationError);
    });
  });

  describe(`TableRepository.list (${backend})`, () => {
    let repo: TableRepository<z.infer<typeof Row>>;
    const tenantA = tenantPartition('tenantA', '20260131');
    const tenantB = tenantPartition('tenantB', '20260131');
    const key = (i: number) => `row${String(i).padStart(4, '0')}`;

    beforeAll(async () => {
      repo = new TableRepository(account, tableName('list'), Row);
      // 130 rows in A, a few in B that must never leak into A's pages.
      for (let start = 0; start < 130; start += 10) {
        await Promise.all(
          Array.from({ length: 10 }, (_, j) =>
            repo.insert(tenantA, key(start + j), { i: start + j, kind: (start + j) % 3 === 0 ? 'fizz' : 'plain' }),
          ),
        );
      }
      await Promise.all([0, 1, 2].map((i) => repo.insert(tenantB, key(i), { i, kind: 'b' })));
    });

    async function all(pk: string, options: Parameters<typeof repo.list>[1] = {}) {
      const pages: Stored<z.infer<typeof Row>>[][] = [];
      let cursor: string | null = null;
      do {
        const page = await repo.list(pk, { ...options, cursor });
        if (page.nextCursor !== null) expect(page.items.length).toBeGreaterThan(0);
        pages.push(page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return pages;
    }

    it('visits every row exactly once, in RowKey order, across pages (130 rows, limit 50)', async () => {
      const pages = await all(tenantA, { limit: 50 });
      expect(pages.map((p) => p.length)).toEqual([50, 50, 30]);
      const keys = pages.flat().map((s) => s.rowKey);
      expect(keys).toEqual(Array.from({ length: 130 }, (_, i) => key(i)));
      expect(pages.flat().every((s) => s.partitionKey === tenantA && s.etag)).toBe(true);
    });

    it('defaults to 50 and caps the limit at 200', async () => {
      expect((await repo.list(tenantA)).items).toHaveLength(50);
      const capped = await repo.list(tenantA, { limit: 10_000 });
      expect(capped.items).toHaveLength(130);
      expect(capped.nextCursor).toBeNull();
    });

    it('serves row key ranges and prefixes inside the partition', async () => {
      const range = (await all(tenantA, { rowKeyFrom: key(10), rowKeyTo: key(20), limit: 4 })).flat();
      expect(range.map((s) => s.value.i)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
      const prefix = (await all(tenantA, { rowKeyPrefix: 'row012', limit: 3 })).flat();
      expect(prefix.map((s) => s.value.i)).toEqual([120, 121, 122, 123, 124, 125, 126, 127, 128, 129]);
    });

    it('applies an extra property filter within the partition without empty pages', async () => {
      const pages = await all(tenantA, { filter: odata`kind eq ${'fizz'}`, limit: 20 });
      const fizz = pages.flat().map((s) => s.value.i);
      expect(fizz).toEqual(Array.from({ length: 44 }, (_, i) => i * 3));
    });

    it('rejects a cursor from another partition, range or filter with InvalidCursorError', async () => {
      const page = await repo.list(tenantA, { limit: 50 });
      expect(page.nextCursor).not.toBeNull();
      const cursor = page.nextCursor!;
      await expect(repo.list(tenantB, { cursor })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(repo.list(tenantA, { cursor, rowKeyPrefix: 'row0' })).rejects.toMatchObject({
        code: 'invalid_cursor',
      });
      await expect(repo.list(tenantA, { cursor, filter: odata`kind eq ${'fizz'}` })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
      const otherTable = new TableRepository(account, tableName('other'), Row);
      await expect(otherTable.list(tenantA, { cursor })).rejects.toBeInstanceOf(InvalidCursorError);
      // The same cursor on the same query still works (and the limit may differ between pages).
      expect((await repo.list(tenantA, { cursor, limit: 10 })).items[0]?.rowKey).toBe(key(50));
    });

    it('rejects tampered and garbage cursors', async () => {
      const cursor = (await repo.list(tenantA, { limit: 50 })).nextCursor!;
      const body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t: string; s: string };
      const token = JSON.parse(Buffer.from(body.t, 'base64').toString('utf8')) as Record<string, string>;
      const skipped = { ...token, nextRowKey: key(120) };
      const forged = Buffer.from(
        JSON.stringify({ ...body, t: Buffer.from(JSON.stringify(skipped)).toString('base64') }),
      ).toString('base64url');
      await expect(repo.list(tenantA, { cursor: forged })).rejects.toBeInstanceOf(InvalidCursorError);
      const flipped = cursor.slice(0, -2) + (cursor.endsWith('A') ? 'BB' : 'AA');
      await expect(repo.list(tenantA, { cursor: flipped })).rejects.toBeInstanceOf(InvalidCursorError);
      for (const junk of ['not a cursor', 'e30', '!!!', 'a'.repeat(5000)]) {
        await expect(repo.list(tenantA, { cursor: junk })).rejects.toBeInstanceOf(InvalidCursorError);
      }
    });

    it('lists newest first with inverted-time and newest-first-id row keys', async () => {
      const feed = new TableRepository(account, tableName('feed'), z.object({ at: z.number().int() }));
      const base = Date.UTC(2026, 0, 31, 12);
      const times = [base, base + 1, base + 60_000, base + 3_600_000, base - 86_400_000];
      for (const at of times) {
        await feed.insert('t', `${invertedTimeKey(at)}-x`, { at });
        await feed.insert('u', newestFirstId(at), { at });
      }
      const expected = [...times].sort((a, b) => b - a);
      expect((await feed.list('t')).items.map((s) => s.value.at)).toEqual(expected);
      expect((await feed.list('u')).items.map((s) => s.value.at)).toEqual(expected);
    });

    it('iterate() walks a whole partition range', async () => {
      const seen: number[] = [];
      for await (const row of repo.iterate(tenantA, { rowKeyFrom: key(100) })) seen.push(row.value.i);
      expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => 100 + i));
    });
  });

  describe(`TableRepository.transact (${backend})`, () => {
    it('writes inserts, upserts, replaces and deletes of one partition together', async () => {
      const repo = new TableRepository(account, tableName('tx'), Counter);
      const kept = await repo.insert('p', 'replace-me', { n: 1 });
      await repo.insert('p', 'delete-me', { n: 1 });
      await repo.insert('p', 'overwrite-me', { n: 1 });
      const stored = await repo.transact('p', [
        { op: 'insert', rowKey: 'new', value: { n: 10 } },
        { op: 'upsert', rowKey: 'overwrite-me', value: { n: 20 } },
        { op: 'replace', rowKey: 'replace-me', value: { n: 30 }, etag: kept.etag },
        { op: 'delete', rowKey: 'delete-me' },
      ]);
      expect(stored.map((s) => [s.rowKey, s.value.n])).toEqual([
        ['new', 10],
        ['overwrite-me', 20],
        ['replace-me', 30],
      ]);
      const rows = (await repo.list('p')).items;
      expect(rows.map((r) => [r.rowKey, r.value.n])).toEqual([
        ['new', 10],
        ['overwrite-me', 20],
        ['replace-me', 30],
      ]);
    });

    it('is all or nothing, and a failure says which guarantee held', async () => {
      const repo = new TableRepository(account, tableName('txf'), Counter);
      const first = await repo.insert('p', 'a', { n: 1 });
      await repo.replace('p', 'a', { n: 2 }, first.etag);
      // Stale etag: the fresh insert beside it is not written either.
      await expect(
        repo.transact('p', [
          { op: 'insert', rowKey: 'b', value: { n: 1 } },
          { op: 'replace', rowKey: 'a', value: { n: 9 }, etag: first.etag },
        ]),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await repo.get('p', 'b')).toBeUndefined();
      expect((await repo.get('p', 'a'))?.value.n).toBe(2);
      await expect(
        repo.transact('p', [
          { op: 'upsert', rowKey: 'c', value: { n: 1 } },
          { op: 'insert', rowKey: 'a', value: { n: 1 } },
        ]),
      ).rejects.toBeInstanceOf(AlreadyExistsError);
      expect(await repo.get('p', 'c')).toBeUndefined();
      await expect(
        repo.transact('p', [
          { op: 'upsert', rowKey: 'c', value: { n: 1 } },
          { op: 'delete', rowKey: 'absent' },
        ]),
      ).rejects.toBeInstanceOf(NotFoundError);
      expect(await repo.get('p', 'c')).toBeUndefined();
    });

    it('refuses what Table Storage would refuse before sending anything', async () => {
      const repo = new TableRepository(account, tableName('txl'), Counter);
      const many = Array.from({ length: MAX_TRANSACTION_OPERATIONS + 1 }, (_, i) => ({
        op: 'upsert' as const,
        rowKey: `r${i}`,
        value: { n: i },
      }));
      await expect(repo.transact('p', many)).rejects.toThrow(/at most 100/);
      await expect(
        repo.transact('p', [
          { op: 'upsert', rowKey: 'x', value: { n: 1 } },
          { op: 'delete', rowKey: 'x' },
        ]),
      ).rejects.toThrow(/twice/);
      await expect(repo.transact('p', [{ op: 'upsert', rowKey: 'x', value: { n: 1.5 } }])).rejects.toBeInstanceOf(
        EntityValidationError,
      );
      expect(await repo.transact('p', [])).toEqual([]);
      // A full transaction of 100 goes through in one piece.
      await repo.transact('p', many.slice(0, MAX_TRANSACTION_OPERATIONS));
      let count = 0;
      for await (const _ of repo.iterate('p')) count++;
      expect(count).toBe(MAX_TRANSACTION_OPERATIONS);
    });
  });

  describe(`TableRepository.update with the row as read (${backend})`, () => {
    it('skips the read when the row is fresh and still never overwrites a newer one', async () => {
      const repo = new TableRepository(account, tableName('upk'), Counter);
      const read = await repo.insert('p', 'k', { n: 1 });
      const seen: (number | undefined)[] = [];
      const bump = (cur: { n: number } | undefined) => {
        seen.push(cur?.n);
        return { n: (cur?.n ?? 0) + 1 };
      };
      expect((await repo.update('p', 'k', bump, { current: read }))?.value.n).toBe(2);
      expect(seen).toEqual([1]);
      // Stale: the row moved on to 2; the first round loses the ETag race, the second reads 2.
      seen.length = 0;
      expect((await repo.update('p', 'k', bump, { current: read }))?.value.n).toBe(3);
      expect(seen).toEqual([1, 2]);
      // Known absent, but it exists: the insert loses, the next round reads it.
      seen.length = 0;
      expect((await repo.update('p', 'k', bump, { current: null }))?.value.n).toBe(4);
      expect(seen).toEqual([undefined, 3]);
      expect((await repo.get('p', 'k'))?.value.n).toBe(4);
    });

    it('reads first when the row it is given carries no ETag (a batch answer without one)', async () => {
      const repo = new TableRepository(account, tableName('upe'), Counter);
      const written = await repo.insert('p', 'k', { n: 1 });
      const seen: (number | undefined)[] = [];
      const bump = (cur: { n: number } | undefined) => {
        seen.push(cur?.n);
        return { n: (cur?.n ?? 0) + 1 };
      };
      expect((await repo.update('p', 'k', bump, { current: { ...written, etag: '' } }))?.value.n).toBe(2);
      expect(seen).toEqual([1]);
    });
  });
}
