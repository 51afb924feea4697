import { describe, expect, it } from 'vitest';
import { type CounterKey, Counters } from '../../shared/analytics/counters';
import { summaryDelta, summaryIncrements, summaryPartition } from '../../shared/analytics/summaries';
import type { CounterTables } from '../../shared/analytics/tables';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';
import { tenantPartition, timeBucket, timeBucketsBetween } from '../../shared/storage/keys';
import { freshCounterTables } from '../support/counter-tables';

const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);
const freshTables = (): CounterTables => freshCounterTables(account);

const key: CounterKey = {
  tenantId: 'tenant-a',
  integrationType: 'outbound_webhook',
  integrationId: 'sub-1',
  outcome: 'succeeded',
  code: '200',
};
const day = () => [Date.now() - 86_400_000, Date.now() + 86_400_000] as const;

async function total(counters: Counters, bucket: 'day' | 'hour'): Promise<number> {
  const [from, to] = day();
  const rows = await counters.totals(key.tenantId, from, to, bucket, { integrationType: 'outbound_webhook' });
  return rows.filter((r) => r.outcome === key.outcome).reduce((sum, r) => sum + r.count, 0);
}

/** The key's type and outcome as the dashboard reads them: the day summaries, every shard summed. */
async function summarised(counters: Counters): Promise<number> {
  const [from, to] = day();
  const days = timeBucketsBetween(from, to, 'day');
  const summaries = await counters.daySummaries(key.tenantId, days);
  return summaries.reduce((sum, d) => sum + d.types.outbound_webhook.succeeded, 0);
}

describe('analytics counters (Azurite)', () => {
  it('concurrent instances never lose an increment, even on a shared shard row', async () => {
    const tables = freshTables();
    // More instances (processes) than shards, so at least two share a row; all write at once.
    const instances = Array.from({ length: 20 }, () => new Counters(tables));
    await Promise.all(instances.flatMap((c, i) => Array.from({ length: 10 }, () => c.increment(key, 1 + (i % 2)))));
    const expected = instances.reduce((sum, _c, i) => sum + 10 * (1 + (i % 2)), 0);
    expect(await total(instances[0]!, 'day')).toBe(expected);
    expect(await total(instances[0]!, 'hour')).toBe(expected);
    expect(await summarised(instances[0]!)).toBe(expected);
  });

  it('100 concurrent writers of one counter lose nothing (one instance each, and 100 calls of one instance)', async () => {
    const tables = freshTables();
    const writers = Array.from({ length: 100 }, () => new Counters(tables));
    await Promise.all(writers.map((c) => c.increment(key)));
    expect(await total(writers[0]!, 'day')).toBe(100);
    expect(await total(writers[0]!, 'hour')).toBe(100);
    const one = writers[1]!;
    await Promise.all(Array.from({ length: 100 }, () => one.increment(key)));
    expect(await total(one, 'day')).toBe(200);
    expect(await total(one, 'hour')).toBe(200);
    expect(await summarised(one)).toBe(200);
  });

  it('keeps counting after another writer moved a row it knows (stale ETag is re-read, not overwritten)', async () => {
    const tables = freshTables();
    const a = new Counters(tables);
    await a.increment(key);
    // Another writer adds 5 to every row `a` wrote, behind its back (an ETag `a` does not know).
    const now = Date.now();
    for (const [table, bucket] of [
      [tables.daily, timeBucket(now, 'day')],
      [tables.hourly, timeBucket(now, 'hour')],
    ] as const) {
      let rows = 0;
      for await (const row of table.iterate(tenantPartition(key.tenantId, bucket))) {
        rows++;
        await table.update(row.partitionKey, row.rowKey, (cur) => ({ count: (cur?.count ?? 0) + 5 }));
      }
      expect(rows).toBe(1);
    }
    let summaryRows = 0;
    for await (const row of tables.summaries.iterate(summaryPartition(key.tenantId))) {
      summaryRows++;
      await tables.summaries.update(row.partitionKey, row.rowKey, (cur) =>
        summaryIncrements.apply(cur, summaryDelta('outbound_webhook', 'succeeded', '-', 5)),
      );
    }
    expect(summaryRows).toBe(1);
    await a.increment(key);
    await a.increment(key, 3);
    expect(await total(a, 'day')).toBe(10);
    expect(await total(a, 'hour')).toBe(10);
    expect(await summarised(a)).toBe(10);
  });

  it('a restarted instance (nothing known) adds to the rows already stored', async () => {
    const tables = freshTables();
    await new Counters(tables).increment(key, 4);
    const again = new Counters(tables);
    await Promise.all(Array.from({ length: 10 }, () => again.increment(key)));
    expect(await total(again, 'day')).toBe(14);
    expect(await summarised(again)).toBe(14);
  });
});
