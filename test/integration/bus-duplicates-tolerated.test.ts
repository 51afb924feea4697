import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StorageQueueBus } from '../../shared/bus/storage-queue-bus';
import { storageAccountFromConnectionString } from '../../shared/storage/connection';

/**
 * `SendOptions.duplicatesTolerated` on the emulated bus: the send skips the duplicate-detection
 * ledger (no row is written, a second send of the id is a second message), while an ordinary send
 * of an id still goes through it. Service Bus ignores the flag (the broker deduplicates anyway).
 */
const account = storageAccountFromConnectionString(process.env.TEST_STORAGE_CONNECTION!);

describe('duplicatesTolerated sends', () => {
  it('go straight to the queue without a ledger row; ordinary sends of the same id still deduplicate', async () => {
    const ledger = `dedup${randomUUID().slice(0, 8)}`;
    const bus = new StorageQueueBus(account, { dedupTableName: ledger, queuePrefix: `t${randomUUID().slice(0, 6)}-` });
    const table = account.table(ledger);

    await bus.send('tolerant', { n: 1 }, { messageId: 'm-1', duplicatesTolerated: true });
    await bus.send('tolerant', { n: 1 }, { messageId: 'm-1', duplicatesTolerated: true });
    const tolerant = await bus.peek('tolerant');
    expect(tolerant.map((m) => m.messageId)).toEqual(['m-1', 'm-1']);
    expect(tolerant[0]!.body).toEqual({ n: 1 });

    await bus.send('strict', { n: 2 }, { messageId: 'm-2' });
    await bus.send('strict', { n: 2 }, { messageId: 'm-2' });
    expect((await bus.peek('strict')).map((m) => m.messageId)).toEqual(['m-2']);

    const rows: string[] = [];
    for await (const row of table.listEntities<{ messageId: string }>())
      rows.push(`${row.partitionKey}/${row.messageId}`);
    expect(rows).toEqual(['strict/m-2']);
  });

  it('a scheduled tolerant send stays hidden until it is due', async () => {
    const bus = new StorageQueueBus(account, { queuePrefix: `t${randomUUID().slice(0, 6)}-` });
    await bus.send(
      'later',
      { n: 3 },
      { messageId: 'm-3', duplicatesTolerated: true, scheduledEnqueueTimeUtc: new Date(Date.now() + 3_600_000) },
    );
    expect(await bus.peek('later')).toEqual([]);
  });
});
