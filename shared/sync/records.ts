import { createHash } from 'node:crypto';
import { AlreadyExistsError } from '../storage/errors';
import { escapeKey, shardOf, tenantPartition } from '../storage/keys';
import { MAX_TRANSACTION_OPERATIONS, type TableRepository, type TableWrite } from '../storage/table-repository';
import type { DataQualityWarning, SyncEntity, SyncedRecord } from './adapter';
import type { SyncRecordRow } from './tables';

/**
 * The record store (docs/sync.md, "Records"): one row per vendor record, so a record seen twice is
 * one row. Writing a page tells created, updated and skipped apart by what the row held before —
 * and a row this very page already wrote (a re-delivered page after a crash) counts as it counted
 * the first time, so a replay never double-counts.
 */

/** Table Storage holds at most 64 KiB in one string property; JSON over this is stored as a projection. */
const MAX_DATA_CHARS = 30_000;

/**
 * Records of one integration and entity are spread over this many partitions by vendor id: one
 * Table Storage partition serves about 2,000 entities a second (docs/design.md §4.2), and a
 * 100,000-record sync writes faster than that; the emulator's cost per write also grows with the
 * partition. Listing walks the shards in order.
 */
export const RECORD_SHARDS = 32;

export function recordShard(vendorId: string): number {
  return /^\d{1,15}$/.test(vendorId) ? Number(vendorId) % RECORD_SHARDS : shardOf(vendorId, RECORD_SHARDS);
}

export function recordPartition(tenantId: string, integrationId: string, entity: SyncEntity, shard: number): string {
  return tenantPartition(tenantId, integrationId, entity, String(shard).padStart(2, '0'));
}

/** Numeric ids zero-padded so they list in the vendor's numeric order. */
export function recordKey(vendorId: string): string {
  return /^\d{1,15}$/.test(vendorId) ? vendorId.padStart(15, '0') : `s${escapeKey(vendorId)}`;
}

export interface PageCounts {
  created: number;
  updated: number;
  skipped: number;
}

/** What writing a page did: its counts, and the vendor ids whose rows this page created. */
export interface PageWrite {
  counts: PageCounts;
  /** Includes rows this page created before a crash (a replay): their follow-up may not have run. */
  createdIds: string[];
}

function hashOf(data: string): string {
  return createHash('sha256').update(data).digest('base64url');
}

function storedData(record: SyncedRecord, warnings: DataQualityWarning[]): string {
  const whole = JSON.stringify(record.fields);
  if (whole.length <= MAX_DATA_CHARS) return whole;
  warnings.push({ kind: 'truncated', field: '*', vendorId: record.vendorId });
  return JSON.stringify({ id: record.fields.id, ...record.index, truncated: true });
}

/**
 * Upserts one page of records in entity-group transactions (at most 100 rows each, one partition)
 * and returns what the page did. `pageId` names the page (`run:page`); rows this page wrote before
 * a crash keep the outcome they were written with.
 */
export async function writePage(
  table: TableRepository<SyncRecordRow>,
  partitionOf: (shard: number) => string,
  pageId: string,
  records: SyncedRecord[],
  warnings: DataQualityWarning[],
  syncedAt: string,
): Promise<PageWrite> {
  // The last copy of an id wins when a vendor repeats one inside a page.
  const byKey = new Map<string, SyncedRecord>();
  for (const record of records) byKey.set(recordKey(record.vendorId), record);
  const rows = [...byKey].map(([rowKey, record]) => {
    const data = storedData(record, warnings);
    const value: Omit<SyncRecordRow, 'outcome'> = {
      vendorId: record.vendorId,
      vendorUpdatedAt: record.updatedAt ?? '',
      hash: hashOf(data),
      data,
      writtenBy: pageId,
      syncedAt,
      ...record.index,
    };
    return { rowKey, shard: recordShard(record.vendorId), value };
  });
  // One entity-group transaction holds one partition and at most 100 rows.
  const byShard = new Map<number, typeof rows>();
  for (const row of rows) byShard.set(row.shard, [...(byShard.get(row.shard) ?? []), row]);
  const batches: { partition: string; rows: typeof rows }[] = [];
  for (const [shard, shardRows] of byShard) {
    for (let i = 0; i < shardRows.length; i += MAX_TRANSACTION_OPERATIONS)
      batches.push({ partition: partitionOf(shard), rows: shardRows.slice(i, i + MAX_TRANSACTION_OPERATIONS) });
  }
  const results = await Promise.all(batches.map((batch) => writeBatch(table, batch.partition, pageId, batch.rows)));
  const counts: PageCounts = { created: 0, updated: 0, skipped: 0 };
  const createdIds: string[] = [];
  for (const result of results) {
    counts.created += result.counts.created;
    counts.updated += result.counts.updated;
    counts.skipped += result.counts.skipped;
    createdIds.push(...result.createdIds);
  }
  return { counts, createdIds };
}

/**
 * One entity-group transaction. New records are the common case (a first sync), so the batch is
 * tried as inserts first: no read at all. When a row exists the transaction fails as a whole, and
 * the batch's rows are read one by one (point reads are cheap everywhere; key-range scans are not
 * on the emulator) and written as the upserts they need.
 */
async function writeBatch(
  table: TableRepository<SyncRecordRow>,
  partition: string,
  pageId: string,
  batch: { rowKey: string; value: Omit<SyncRecordRow, 'outcome'> }[],
): Promise<PageWrite> {
  const counts: PageCounts = { created: 0, updated: 0, skipped: 0 };
  const createdIds: string[] = [];
  try {
    await table.transact(
      partition,
      batch.map((row) => ({ op: 'insert' as const, rowKey: row.rowKey, value: { ...row.value, outcome: 'created' } })),
    );
    counts.created = batch.length;
    return { counts, createdIds: batch.map((row) => row.value.vendorId) };
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
  }
  const existing = await Promise.all(batch.map((row) => table.get(partition, row.rowKey)));
  const writes: TableWrite<SyncRecordRow>[] = [];
  batch.forEach((row, i) => {
    const before = existing[i]?.value;
    let outcome: 'created' | 'updated';
    if (before?.writtenBy === pageId) outcome = before.outcome;
    else if (before === undefined) outcome = 'created';
    else if (before.hash === row.value.hash) {
      counts.skipped++;
      return;
    } else outcome = 'updated';
    counts[outcome]++;
    if (outcome === 'created') createdIds.push(row.value.vendorId);
    writes.push({ op: 'upsert', rowKey: row.rowKey, value: { ...row.value, outcome } });
  });
  await table.transact(partition, writes);
  return { counts, createdIds };
}
