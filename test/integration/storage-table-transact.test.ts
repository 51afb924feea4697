import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { AlreadyExistsError, ConflictError, EntityValidationError, NotFoundError } from '../../shared/storage/errors';
import { MAX_TRANSACTION_OPERATIONS, TableRepository } from '../../shared/storage/table-repository';

const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
let seq = 0;
const tableName = (tag: string) => `t${tag}${process.pid}${Date.now().toString(36)}${seq++}`;
const Counter = z.object({ n: z.number().int() });

describe('TableRepository.transact (Azurite)', () => {
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

describe('TableRepository.update with the row as read', () => {
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
});
